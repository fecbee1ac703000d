namespace StreamKit.Windows;

/// <summary>One window's aggregate for one key.</summary>
/// <typeparam name="TKey">The key type.</typeparam>
/// <typeparam name="TValue">The aggregate's result type.</typeparam>
/// <param name="Start">The window's start, inclusive, epoch milliseconds.</param>
/// <param name="End">The window's end, exclusive, epoch milliseconds.</param>
/// <param name="Key">The key.</param>
/// <param name="Value">The aggregate.</param>
/// <param name="IsUpdate">Whether this replaces a result emitted earlier for the same window and key (late data under <see cref="LateEventPolicy.Update"/>).</param>
public readonly record struct WindowResult<TKey, TValue>(long Start, long End, TKey Key, TValue Value, bool IsUpdate);
