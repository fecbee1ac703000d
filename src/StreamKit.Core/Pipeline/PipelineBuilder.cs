using StreamKit.Aggregates;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

/// <summary>Starts building a pipeline.</summary>
/// <example>
/// <code>
/// var pipeline = StreamPipeline.Create&lt;Click&gt;(static c => c.Ts)
///     .Where(static c => c.Kind == ClickKind.View)
///     .KeyBy(static c => c.PageId)
///     .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
///     .Aggregate(static a => a.Count())
///     .To(sink);
/// pipeline.Process(batch);
/// </code>
/// </example>
public static class StreamPipeline
{
    /// <summary>A pipeline whose event time is read from each record by a lambda.</summary>
    public static PipelineBuilder<T, T> Create<T>(Func<T, long> eventTime, PipelineOptions? options = null)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(eventTime);
        return Create<T, DelegateSelector<T, long>>(new(eventTime), options);
    }

    /// <summary>A pipeline whose event time is read from each record by a struct selector (inlined).</summary>
    public static PipelineBuilder<T, T> Create<T, TEventTime>(TEventTime eventTime, PipelineOptions? options = null)
        where T : struct
        where TEventTime : struct, ISelector<T, long> =>
        Start<T>(new Pipeline<T>.Timestamps<TEventTime>(eventTime), options);

    /// <summary>A pipeline whose event times are passed with each batch (e.g. the source's timestamps).</summary>
    public static PipelineBuilder<T, T> Create<T>(PipelineOptions? options = null)
        where T : struct => Start<T>(null, options);

    private static PipelineBuilder<T, T> Start<T>(Pipeline<T>.ITimestamps? eventTime, PipelineOptions? options)
        where T : struct
    {
        options ??= new PipelineOptions();
        options.Validate();
        return new PipelineBuilder<T, T>(new BuildContext<T>(options, eventTime), static next => next);
    }
}

/// <summary>What every stage of one pipeline's builder shares.</summary>
internal sealed class BuildContext<TIn>(PipelineOptions options, Pipeline<TIn>.ITimestamps? eventTime)
    where TIn : struct
{
    public PipelineOptions Options { get; } = options;

    public Pipeline<TIn>.ITimestamps? EventTime { get; } = eventTime;

    public PipelineCounters Counters { get; } = new();

    public List<ICheckpointed> ExtraState { get; } = [];

    public List<Func<CancellationToken, ValueTask>> Flushes { get; } = [];

    public List<ITransactionalSink> Transactional { get; } = [];

    /// <summary>Registers a sink's flush, and its commit and state where it takes part in checkpoints.</summary>
    public void AddSink<T>(IRecordSink<T> sink)
    {
        Flushes.Add(sink.FlushAsync);
        if (sink is ITransactionalSink transactional)
        {
            Transactional.Add(transactional);
        }

        if (sink is ICheckpointed state)
        {
            ExtraState.Add(state);
        }
    }
}

/// <summary>A pipeline under construction whose records are now of type <typeparamref name="T"/>.</summary>
/// <remarks>
/// Every stage has a lambda overload (easy) and a struct-functor overload (the JIT specialises the operator and
/// inlines the call); both give the same results. Stages fuse into one loop per batch when built.
/// </remarks>
/// <typeparam name="TIn">The pipeline's input record type.</typeparam>
/// <typeparam name="T">The record type at this stage.</typeparam>
public sealed class PipelineBuilder<TIn, T>
    where TIn : struct
{
    private readonly BuildContext<TIn> _context;
    private readonly Func<BatchOperator<T>, BatchOperator<TIn>> _attach;

    internal PipelineBuilder(BuildContext<TIn> context, Func<BatchOperator<T>, BatchOperator<TIn>> attach)
    {
        _context = context;
        _attach = attach;
    }

    /// <summary>Keeps records the lambda accepts.</summary>
    public PipelineBuilder<TIn, T> Where(Func<T, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Where(new DelegatePredicate<T>(predicate));
    }

    /// <summary>Keeps records the struct predicate accepts.</summary>
    public PipelineBuilder<TIn, T> Where<TPredicate>(TPredicate predicate)
        where TPredicate : struct, IPredicate<T> =>
        Then<T>(next => new WhereOperator<T, TPredicate>(predicate, next));

    /// <summary>Maps each record to a new one.</summary>
    public PipelineBuilder<TIn, TResult> Select<TResult>(Func<T, TResult> selector)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Select<TResult, DelegateSelector<T, TResult>>(new(selector));
    }

    /// <summary>Maps each record to a new one with a struct selector.</summary>
    public PipelineBuilder<TIn, TResult> Select<TResult, TSelector>(TSelector selector)
        where TSelector : struct, ISelector<T, TResult> =>
        Then<TResult>(next => new SelectOperator<T, TResult, TSelector>(selector, next));

    /// <summary>Groups records by a key for windowed aggregation.</summary>
    /// <remarks>Keys are unmanaged values: intern string fields to integers (<see cref="Keys.Utf8Interner"/>).</remarks>
    public KeyedPipelineBuilder<TIn, T, TKey, DelegateSelector<T, TKey>> KeyBy<TKey>(Func<T, TKey> keySelector)
        where TKey : unmanaged, IEquatable<TKey>
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        return new(_context, _attach, new(keySelector));
    }

    /// <summary>Groups records by a key selected by a struct.</summary>
    public KeyedPipelineBuilder<TIn, T, TKey, TKeySelector> KeyBy<TKey, TKeySelector>(TKeySelector keySelector)
        where TKey : unmanaged, IEquatable<TKey>
        where TKeySelector : struct, ISelector<T, TKey> => new(_context, _attach, keySelector);

    /// <summary>Windows the whole stream without a key (one result per window).</summary>
    public WindowedPipelineBuilder<TIn, T, NoKey, NoKeySelector<T>> Window(WindowSpec window) =>
        new KeyedPipelineBuilder<TIn, T, NoKey, NoKeySelector<T>>(_context, _attach, default).Window(window);

    /// <summary>Adds state that must be checkpointed with the pipeline, such as an interner its decoder uses.</summary>
    public PipelineBuilder<TIn, T> WithState(ICheckpointed state)
    {
        ArgumentNullException.ThrowIfNull(state);
        _context.ExtraState.Add(state);
        return this;
    }

    /// <summary>Ends the pipeline in a sink and builds it.</summary>
    public Pipeline<TIn> To(IRecordSink<T> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        var head = _attach(new SinkOperator<T>(sink, _context.Counters));
        _context.AddSink(sink);
        return new Pipeline<TIn>(head, _context.EventTime, _context.Options, _context.Counters, [.. _context.ExtraState], [.. _context.Flushes], [.. _context.Transactional]);
    }

    private PipelineBuilder<TIn, TNext> Then<TNext>(Func<BatchOperator<TNext>, BatchOperator<T>> stage)
    {
        var attach = _attach;
        return new PipelineBuilder<TIn, TNext>(_context, next => attach(stage(next)));
    }
}

/// <summary>A keyed stream under construction: choose its windows next.</summary>
public sealed class KeyedPipelineBuilder<TIn, T, TKey, TKeySelector>
    where TIn : struct
    where TKey : unmanaged, IEquatable<TKey>
    where TKeySelector : struct, ISelector<T, TKey>
{
    private readonly BuildContext<TIn> _context;
    private readonly Func<BatchOperator<T>, BatchOperator<TIn>> _attach;
    private readonly TKeySelector _keySelector;

    internal KeyedPipelineBuilder(BuildContext<TIn> context, Func<BatchOperator<T>, BatchOperator<TIn>> attach, TKeySelector keySelector)
    {
        _context = context;
        _attach = attach;
        _keySelector = keySelector;
    }

    /// <summary>Cuts each key's records into event-time windows.</summary>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> Window(WindowSpec window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return new(_context, _attach, _keySelector, window);
    }
}

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
    private int _expectedKeys;

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

    /// <summary>Sizes the window's keyed state for about <paramref name="count"/> distinct keys per window (for sessions: keys with an open session) when the pipeline is built.</summary>
    /// <remarks>
    /// Optional: without it the tables start small and double as keys arrive, which allocates about twice their final
    /// size once, while the pipeline warms up, and never again (tables are reused as windows close). Give it when the
    /// key count is known and the first batches matter, such as a pipeline built per function invocation or a cold
    /// start with a million keys: the tables are then allocated once, at build time. A hint that is too small only
    /// means growth later; one that is too large costs memory whether or not the keys come: up to 48 bytes per key
    /// (int key, long count) for each window or slice open at once (a hopping window keeps size/hop + 1 slices), and
    /// for sessions about 100 bytes per key, so give sessions the number of keys with an open session, not of all keys.
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
        var counters = _context.Counters;
        var attach = _attach;
        return new PipelineBuilder<TIn, WindowResult<TKey, TResult>>(_context, next => attach(window.Kind switch
        {
            WindowKind.Session => new SessionWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(window, keySelector, aggregator, settings, next),
            WindowKind.Global => new GlobalWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(keySelector, aggregator, counters, settings.ExpectedKeys, next),
            _ => new SlicedWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(window, keySelector, aggregator, settings, next),
        }));
    }
}

/// <summary>The key selector of an unkeyed window: every record has the same <see cref="NoKey"/>.</summary>
public readonly struct NoKeySelector<T> : ISelector<T, NoKey>
{
    /// <inheritdoc />
    public NoKey Invoke(in T item) => default;
}
