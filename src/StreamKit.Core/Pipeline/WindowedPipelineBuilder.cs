using StreamKit.Aggregates;
using StreamKit.Operators;
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
    private readonly IFusedFilter<TIn, T>? _filter;
    private readonly TKeySelector _keySelector;
    private readonly WindowSpec _window;
    private LateEventPolicy _policy = LateEventPolicy.Drop;
    private TimeSpan _allowedLateness = TimeSpan.Zero;
    private IRecordSink<T>? _lateSink;
    private int _expectedKeys;

    internal WindowedPipelineBuilder(BuildContext<TIn> context, Func<BatchOperator<T>, BatchOperator<TIn>> attach, IFusedFilter<TIn, T>? filter, TKeySelector keySelector, WindowSpec window)
    {
        _context = context;
        _attach = attach;
        _filter = filter;
        _keySelector = keySelector;
        _window = window;
    }

    /// <summary>Keeps closed windows this long (event time) so late events update them; implies <see cref="LateEventPolicy.Update"/>.</summary>
    /// <remarks>
    /// <para>A window <c>[start, end)</c> fires when the watermark (<see cref="PipelineOptions.MaxOutOfOrderness"/>)
    /// reaches <c>end</c> and is kept while the watermark is below <c>end + lateness</c>. A late event (every window
    /// containing it has fired) is folded into each kept window containing it, whose result is emitted again with
    /// <see cref="Windows.WindowResult{TKey, TValue}.IsUpdate"/> set; an event for which no window is kept any more is
    /// counted and dropped. A session window is updated only by an event that joins or bridges a kept session; one
    /// that would start a new, already closed session is dropped.</para>
    /// <para>State grows with the lateness: every window is kept this much longer after it fires. Part of the
    /// pipeline's definition: a snapshot taken with another lateness is refused on restore.</para>
    /// </remarks>
    /// <param name="lateness">How long after a window fires it still takes late events; zero keeps none (then late events are dropped).</param>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> AllowedLateness(TimeSpan lateness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lateness, TimeSpan.Zero);
        _allowedLateness = lateness;
        _policy = LateEventPolicy.Update;
        return this;
    }

    /// <summary>Drops events that arrive after all their windows closed, counting them (the default).</summary>
    /// <remarks>
    /// Late means every window containing the event has fired: the watermark (<see cref="PipelineOptions.MaxOutOfOrderness"/>)
    /// has reached each one's end. Dropped events count in <see cref="PipelineCounters.Late"/> and
    /// <see cref="PipelineCounters.Dropped"/> and the <c>streamkit.late_events</c> metric.
    /// </remarks>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> DropLate()
    {
        _policy = LateEventPolicy.Drop;
        _lateSink = null;
        return this;
    }

    /// <summary>Sends events that arrive after all their windows closed to <paramref name="sink"/>.</summary>
    /// <remarks>
    /// Late means every window containing the event has fired (the watermark, see
    /// <see cref="PipelineOptions.MaxOutOfOrderness"/>, has reached each one's end); a hopping event that still has an
    /// open window is on time there and not sent. The sink takes part in checkpoints like the result sink: flushed
    /// before the state is saved, committed after if it is transactional.
    /// </remarks>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> LateTo(IRecordSink<T> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        _policy = LateEventPolicy.SideOutput;
        _lateSink = sink;
        _context.AddSink(sink);
        return this;
    }

    /// <summary>Sizes the window's keyed state for about <paramref name="count"/> distinct keys per window (for sessions: keys with an open session) when the pipeline is built.</summary>
    /// <remarks>
    /// Optional: without it the tables start small and double as keys arrive, which allocates about twice their final
    /// size once, while the pipeline warms up, and never again (tables are reused as windows close). Give it when the
    /// key count is known and the first batches matter, such as a pipeline built per function invocation or a cold
    /// start with a million keys: the tables are then allocated once, at build time. A hint that is too small only
    /// means growth later; one that is too large costs memory whether or not the keys come: up to 48 bytes per key
    /// (int key, long count) for each window or slice open at once (a hopping window keeps size/hop + 1 slices), and
    /// for sessions 48 to 96 bytes per key, so give sessions the number of keys with an open session, not of all keys.
    /// </remarks>
    /// <param name="count">Distinct keys expected per window; 0 (the default) means no hint. Capped at 16,777,216.</param>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> ExpectedKeys(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _expectedKeys = count;
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
        var settings = new WindowSettings<T>(_policy, (long)_allowedLateness.TotalMilliseconds, _lateSink, _context.Counters, _expectedKeys);
        var window = _window;
        var keySelector = _keySelector;
        var attach = _attach;
        var filter = _filter;
        return new PipelineBuilder<TIn, WindowResult<TKey, TResult>>(_context, next => window.Kind switch
        {
            // The global window runs the Where stages right before it itself; the others take the compacted batch.
            WindowKind.Global when filter is not null => filter.Attach(new GlobalStage<TAcc, TResult, TAggregator>(keySelector, aggregator, settings, next)),
            WindowKind.Global => attach(new GlobalStage<TAcc, TResult, TAggregator>(keySelector, aggregator, settings, next).Build(default(PassAll<T>))),
            WindowKind.Session => attach(new SessionWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(window, keySelector, aggregator, settings, next)),
            _ => attach(new SlicedWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(window, keySelector, aggregator, settings, next)),
        });
    }

    /// <summary>The global window operator, skipping the records of the Where stages fused into it.</summary>
    private sealed class GlobalStage<TAcc, TResult, TAggregator>(
        TKeySelector keySelector,
        TAggregator aggregator,
        WindowSettings<T> settings,
        BatchOperator<WindowResult<TKey, TResult>> next) : IFilteredStage<T>
        where TAcc : unmanaged
        where TAggregator : struct, IAggregator<T, TAcc, TResult>
    {
        public BatchOperator<T> Build<TFilter>(TFilter filter)
            where TFilter : struct, IPredicate<T> =>
            new GlobalWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator, TFilter>(keySelector, filter, aggregator, settings.Counters, settings.ExpectedKeys, next);
    }
}
