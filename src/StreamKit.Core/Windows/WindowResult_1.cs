namespace StreamKit.Windows;

/// <summary>One window's aggregate over the whole stream (a window without a key).</summary>
/// <remarks>
/// What an unkeyed <c>Window(...).Aggregate(...)</c> emits, so that its sink is an
/// <c>IRecordSink&lt;WindowResult&lt;(long Count, long Sum)&gt;&gt;</c> rather than one that spells an empty key.
/// </remarks>
/// <typeparam name="TValue">The aggregate's result type.</typeparam>
/// <param name="Start">The window's start, inclusive, epoch milliseconds.</param>
/// <param name="End">The window's end, exclusive, epoch milliseconds.</param>
/// <param name="Value">The aggregate.</param>
/// <param name="IsUpdate">Whether this replaces a result emitted earlier for the same window (late data under <see cref="LateEventPolicy.Update"/>).</param>
public readonly record struct WindowResult<TValue>(long Start, long End, TValue Value, bool IsUpdate);
