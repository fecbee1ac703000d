namespace StreamKit;

/// <summary>A projection or key/value extraction as a struct, so generic operators over it are specialised and inlined.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <typeparam name="TResult">What it extracts.</typeparam>
public interface ISelector<T, out TResult>
{
    /// <summary>Extracts the value from <paramref name="item"/>.</summary>
    TResult Invoke(in T item);
}
