using StreamKit.Aggregates;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

/// <summary>A windowed stream under construction: set lateness handling, then choose the aggregate.</summary>
public sealed class WindowedPipelineBuilder<TIn, T, TKey, TKeySelector>
    where TIn : struct
    where TKey : unmanaged, IEquatable<TKey>
    where TKeySelector : struct, ISelector<T, TKey>
{
    private readonly BuildContext<TIn> _context;
    private readonly Func<BatchOperator<T>, BatchOperator<TIn>> _attach;
    private readonly TKeySelector _keySelector;
    private readonly WindowSpec _window;
    private LateEventPolicy _policy = LateEventPolicy.Drop;
    private TimeSpan _allowedLateness = TimeSpan.Zero;
    private IRecordSink<T>? _lateSink;

    internal WindowedPipelineBuilder(BuildContext<TIn> context, Func<BatchOperator<T>, BatchOperator<TIn>> attach, TKeySelector keySelector, WindowSpec window)
    {
        _context = context;
        _attach = attach;
        _keySelector = keySelector;
        _window = window;
    }

    /// <summary>Keeps closed windows this long (event time) so late events update them; implies <see cref="LateEventPolicy.Update"/>.</summary>
    /// <remarks>State grows with the lateness: every window is kept this much longer after it fires.</remarks>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> AllowedLateness(TimeSpan lateness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lateness, TimeSpan.Zero);
        _allowedLateness = lateness;
        _policy = LateEventPolicy.Update;
        return this;
    }

    /// <summary>Drops events that arrive after all their windows closed, counting them (the default).</summary>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> DropLate()
    {
        _policy = LateEventPolicy.Drop;
        _lateSink = null;
        return this;
    }

    /// <summary>Sends events that arrive after all their windows closed to <paramref name="sink"/>.</summary>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> LateTo(IRecordSink<T> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _policy = LateEventPolicy.SideOutput;
        _lateSink = sink;
        _context.AddSink(sink);
        return this;
    }

    /// <summary>Aggregates each window and key; results flow on as <see cref="WindowResult{TKey, TValue}"/>.</summary>
    /// <param name="choose">Picks the aggregate, e.g. <c>static a => a.Count()</c> or <c>static a => a.Combine(a.Count(), a.Sum(static c => (long)c.DurationMs))</c>.</param>
    public PipelineBuilder<TIn, WindowResult<TKey, TResult>> Aggregate<TAcc, TResult, TAggregator>(Func<AggregateFactory<T>, AggregateSpec<T, TAcc, TResult, TAggregator>> choose)
        where TAcc : unmanaged
        where TAggregator : struct, IAggregator<T, TAcc, TResult>
    {
        ArgumentNullException.ThrowIfNull(choose);
        var aggregator = choose(AggregateFactory<T>.Instance).Aggregator;
        var settings = new WindowSettings<T>(_policy, (long)_allowedLateness.TotalMilliseconds, _lateSink, _context.Counters);
        var window = _window;
        var keySelector = _keySelector;
        var counters = _context.Counters;
        var attach = _attach;
        return new PipelineBuilder<TIn, WindowResult<TKey, TResult>>(_context, next => attach(window.Kind switch
        {
            WindowKind.Session => new SessionWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(window, keySelector, aggregator, settings, next),
            WindowKind.Global => new GlobalWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(keySelector, aggregator, counters, next),
            _ => new SlicedWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(window, keySelector, aggregator, settings, next),
        }));
    }
}
