namespace StreamKit;

/// <summary>A filter condition as a struct, so generic operators over it are specialised and the call inlined.</summary>
/// <remarks>Prefer a <c>readonly struct</c>; the lambda overloads wrap a delegate in one of these for you.</remarks>
/// <typeparam name="T">The record type.</typeparam>
public interface IPredicate<T>
{
    /// <summary>Whether <paramref name="item"/> passes.</summary>
    bool Invoke(in T item);
}
