namespace StreamKit;

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
