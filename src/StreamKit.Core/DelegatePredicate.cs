namespace StreamKit;

/// <summary>Adapts a lambda to <see cref="IPredicate{T}"/>: easier to write, one delegate call per record.</summary>
/// <remarks>Made for you by the lambda overloads; prefer your own struct where the call is hot.</remarks>
public readonly struct DelegatePredicate<T>(Func<T, bool> predicate) : IPredicate<T>
{
    /// <inheritdoc />
    public bool Invoke(in T item) => predicate(item);
}
