using StreamKit.Aggregates;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

/// <summary>A window over the whole stream (no key) under construction: set lateness handling, then choose the aggregate.</summary>
/// <remarks>The unkeyed counterpart of <see cref="WindowedPipelineBuilder{TIn, T, TKey, TKeySelector}"/>: the same windows and lateness rules.</remarks>
/// <typeparam name="TIn">The pipeline's input record type.</typeparam>
/// <typeparam name="T">The record type at this stage.</typeparam>
public sealed class WindowedPipelineBuilder<TIn, T>
    where TIn : struct
{
    private readonly WindowedPipelineBuilder<TIn, T, NoKey, NoKeySelector<T>> _keyed;

    internal WindowedPipelineBuilder(WindowedPipelineBuilder<TIn, T, NoKey, NoKeySelector<T>> keyed) => _keyed = keyed;

    /// <inheritdoc cref="WindowedPipelineBuilder{TIn, T, TKey, TKeySelector}.AllowedLateness(TimeSpan)" />
    public WindowedPipelineBuilder<TIn, T> AllowedLateness(TimeSpan lateness)
    {
        _keyed.AllowedLateness(lateness);
        return this;
    }

    /// <inheritdoc cref="WindowedPipelineBuilder{TIn, T, TKey, TKeySelector}.DropLate" />
    public WindowedPipelineBuilder<TIn, T> DropLate()
    {
        _keyed.DropLate();
        return this;
    }

    /// <inheritdoc cref="WindowedPipelineBuilder{TIn, T, TKey, TKeySelector}.LateTo(IRecordSink{T})" />
    public WindowedPipelineBuilder<TIn, T> LateTo(IRecordSink<T> sink)
    {
        _keyed.LateTo(sink);
        return this;
    }

    /// <summary>Aggregates each window; results flow on as <see cref="WindowResult{TValue}"/>.</summary>
    /// <param name="choose">Picks the aggregate, e.g. <c>static a => a.Count()</c>.</param>
    /// <remarks>Dropping the empty key costs one copy per window result, not per record.</remarks>
    public PipelineBuilder<TIn, WindowResult<TResult>> Aggregate<TAcc, TResult, TAggregator>(Func<AggregateFactory<T>, AggregateSpec<T, TAcc, TResult, TAggregator>> choose)
        where TAcc : unmanaged
        where TAggregator : struct, IAggregator<T, TAcc, TResult> =>
        _keyed.Aggregate(choose).Select<WindowResult<TResult>, WithoutKey<TResult>>(default);

    private readonly struct WithoutKey<TResult> : ISelector<WindowResult<NoKey, TResult>, WindowResult<TResult>>
    {
        public WindowResult<TResult> Invoke(in WindowResult<NoKey, TResult> item) => new(item.Start, item.End, item.Value, item.IsUpdate);
    }
}
