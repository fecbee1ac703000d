namespace StreamKit.Pipeline;

/// <summary>A filter condition as a struct, so generic operators over it are specialised and the call inlined.</summary>
/// <remarks>Prefer a <c>readonly struct</c>; the lambda overloads wrap a delegate in one of these for you.</remarks>
/// <typeparam name="T">The record type.</typeparam>
public interface IPredicate<T>
{
    /// <summary>Whether <paramref name="item"/> passes.</summary>
    bool Invoke(in T item);
}

/// <summary>A projection or key/value extraction as a struct, so generic operators over it are specialised and inlined.</summary>
/// <typeparam name="T">The record type.</typeparam>
/// <typeparam name="TResult">What it extracts.</typeparam>
public interface ISelector<T, out TResult>
{
    /// <summary>Extracts the value from <paramref name="item"/>.</summary>
    TResult Invoke(in T item);
}

/// <summary>
/// A struct selector that names its own type, so that builder methods infer every type argument from the value:
/// <c>KeyBy(new ByPage())</c> rather than <c>KeyBy&lt;int, ByPage&gt;(default)</c>.
/// </summary>
/// <remarks>
/// C# infers a method's type arguments from its parameters, never from constraints, so a method taking a
/// <c>TSelector</c> constrained to <see cref="ISelector{T, TResult}"/> cannot find <c>TResult</c>. Implement this
/// interface instead (<c>readonly struct ByPage : ISelector&lt;ByPage, Click, int&gt;</c>, the pattern of .NET's
/// <c>INumber&lt;TSelf&gt;</c>) and the compiler reads <typeparamref name="TSelf"/>, <typeparamref name="T"/> and
/// <typeparamref name="TResult"/> off it. The builder unboxes the value back to <typeparamref name="TSelf"/> once,
/// when the pipeline is built, and specialises its operator over it: records never go through an interface call.
/// </remarks>
/// <typeparam name="TSelf">The implementing struct itself.</typeparam>
/// <typeparam name="T">The record type.</typeparam>
/// <typeparam name="TResult">What it extracts.</typeparam>
public interface ISelector<TSelf, T, TResult> : ISelector<T, TResult>
    where TSelf : struct, ISelector<TSelf, T, TResult>
{
}

/// <summary>Adapts a lambda to <see cref="IPredicate{T}"/>: easier to write, one delegate call per record.</summary>
/// <remarks>Made for you by the lambda overloads; prefer your own struct where the call is hot.</remarks>
public readonly struct DelegatePredicate<T>(Func<T, bool> predicate) : IPredicate<T>
{
    /// <inheritdoc />
    public bool Invoke(in T item) => predicate(item);
}

/// <summary>Adapts a lambda to <see cref="ISelector{T, TResult}"/>.</summary>
public readonly struct DelegateSelector<T, TResult>(Func<T, TResult> selector) : ISelector<T, TResult>
{
    /// <inheritdoc />
    public TResult Invoke(in T item) => selector(item);
}
