using StreamKit.Operators;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

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
    private readonly IFusedFilter<TIn, T>? _filter;

    internal PipelineBuilder(BuildContext<TIn> context, Func<BatchOperator<T>, BatchOperator<TIn>> attach, IFusedFilter<TIn, T>? filter = null)
    {
        _context = context;
        _attach = attach;
        _filter = filter;
    }

    /// <summary>Keeps records the lambda accepts.</summary>
    public PipelineBuilder<TIn, T> Where(Func<T, bool> predicate)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return Where(new DelegatePredicate<T>(predicate));
    }

    /// <summary>Keeps records the struct predicate accepts.</summary>
    /// <remarks>Followed by a global window, the window finds the records that pass itself, without compacting the batch.</remarks>
    public PipelineBuilder<TIn, T> Where<TPredicate>(TPredicate predicate)
        where TPredicate : struct, IPredicate<T>
    {
        var attach = _attach;
        return new PipelineBuilder<TIn, T>(
            _context,
            next => attach(new WhereOperator<T, TPredicate>(predicate, next)),
            _filter is null ? new FusedFilter<TIn, T, TPredicate>(attach, predicate) : _filter.Then(predicate));
    }

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

    /// <summary>Maps each record with a struct selector that names itself: <c>Select(new ToVisit())</c>.</summary>
    /// <remarks>The same stage as <see cref="Select{TResult, TSelector}(TSelector)"/>; see <see cref="ISelector{TSelf, T, TResult}"/>.</remarks>
    public PipelineBuilder<TIn, TResult> Select<TSelector, TResult>(ISelector<TSelector, T, TResult> selector)
        where TSelector : struct, ISelector<TSelector, T, TResult>
    {
        ArgumentNullException.ThrowIfNull(selector);
        return Select<TResult, TSelector>((TSelector)selector);
    }

    /// <summary>Groups records by a key for windowed aggregation.</summary>
    /// <remarks>Keys are unmanaged values: intern string fields to integers (<see cref="Keys.Utf8Interner"/>).</remarks>
    public KeyedPipelineBuilder<TIn, T, TKey, DelegateSelector<T, TKey>> KeyBy<TKey>(Func<T, TKey> keySelector)
        where TKey : unmanaged, IEquatable<TKey>
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        return new(_context, _attach, _filter, new(keySelector));
    }

    /// <summary>Groups records by a key selected by a struct.</summary>
    public KeyedPipelineBuilder<TIn, T, TKey, TKeySelector> KeyBy<TKey, TKeySelector>(TKeySelector keySelector)
        where TKey : unmanaged, IEquatable<TKey>
        where TKeySelector : struct, ISelector<T, TKey> => new(_context, _attach, _filter, keySelector);

    /// <summary>Groups records by a key selected by a struct that names itself: <c>KeyBy(new ByPage())</c>.</summary>
    /// <remarks>The same stage as <see cref="KeyBy{TKey, TKeySelector}(TKeySelector)"/>; see <see cref="ISelector{TSelf, T, TResult}"/>.</remarks>
    public KeyedPipelineBuilder<TIn, T, TKey, TKeySelector> KeyBy<TKeySelector, TKey>(ISelector<TKeySelector, T, TKey> keySelector)
        where TKey : unmanaged, IEquatable<TKey>
        where TKeySelector : struct, ISelector<TKeySelector, T, TKey>
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        return KeyBy<TKey, TKeySelector>((TKeySelector)keySelector);
    }

    /// <summary>Windows the whole stream without a key: one <see cref="WindowResult{TValue}"/> per window.</summary>
    public WindowedPipelineBuilder<TIn, T> Window(WindowSpec window) =>
        new(new KeyedPipelineBuilder<TIn, T, NoKey, NoKeySelector<T>>(_context, _attach, _filter, default).Window(window));

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
