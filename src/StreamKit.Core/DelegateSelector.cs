namespace StreamKit;

/// <summary>Adapts a lambda to <see cref="ISelector{T, TResult}"/>.</summary>
public readonly struct DelegateSelector<T, TResult>(Func<T, TResult> selector) : ISelector<T, TResult>
{
    /// <inheritdoc />
    public TResult Invoke(in T item) => selector(item);
}
