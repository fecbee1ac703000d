using StreamKit.Aggregates;
using StreamKit.Operators;
using StreamKit.State;

namespace StreamKit.Windows;

/// <summary>One window over the whole input: per-key aggregates emitted when the input ends.</summary>
internal sealed class GlobalWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator>(
    TKeySelector keySelector,
    TAggregator aggregator,
    PipelineCounters counters,
    int expectedKeys,
    BatchOperator<WindowResult<TKey, TResult>> next) : BatchOperator<T>
    where TKey : unmanaged, IEquatable<TKey>
    where TKeySelector : struct, ISelector<T, TKey>
    where TAcc : unmanaged
    where TAggregator : struct, IAggregator<T, TAcc, TResult>
{
    private const int StateVersion = 1;
    private readonly TKeySelector _keySelector = keySelector;
    private readonly TAggregator _aggregator = aggregator;
    private readonly KeyedTable<TKey, TAcc> _table = new(expectedKeys > 0 ? expectedKeys : 16);
    private readonly OutputBuffer<WindowResult<TKey, TResult>> _output = new();

    public override void OnBatch(Span<T> items, Span<long> timestamps)
    {
        if (typeof(TKey) == typeof(NoKey))
        {
            // Unkeyed: one accumulator, no table lookup per record (the JIT drops the branch per instantiation).
            ref var single = ref _table.GetOrAdd(default, out var first);
            if (first)
            {
                _aggregator.Reset(ref single);
            }

            foreach (ref readonly var item in items)
            {
                _aggregator.Add(ref single, item);
            }

            return;
        }

        foreach (ref readonly var item in items)
        {
            ref var acc = ref _table.GetOrAdd(_keySelector.Invoke(item), out var added);
            if (added)
            {
                _aggregator.Reset(ref acc);
            }

            _aggregator.Add(ref acc, item);
        }
    }

    public override void OnWatermark(long watermark) => next.OnWatermark(watermark);

    public override void OnCompleted()
    {
        var keys = _table.Keys;
        var values = _table.Values;
        for (var i = 0; i < keys.Length; i++)
        {
            _output.Add(new WindowResult<TKey, TResult>(long.MinValue, long.MaxValue, keys[i], _aggregator.GetResult(values[i]), false), long.MaxValue - 1);
            counters.WindowsFired++;
        }

        _table.Clear();
        _output.FlushTo(next);
        next.OnCompleted();
    }

    public override void WriteState(StateWriter writer)
    {
        writer.WriteInt32(StateVersion);
        _table.WriteState(writer);
        next.WriteState(writer);
    }

    public override void Describe(List<KeyValuePair<string, string>> definition)
    {
        SnapshotFormat.AddWindowStage(
            definition,
            ("window", "global"),
            ("window key", SnapshotFormat.LayoutName<TKey>(typeof(T))),
            ("window aggregate", SnapshotFormat.TypeName(typeof(TAggregator), typeof(T))),
            ("window accumulator", SnapshotFormat.LayoutName<TAcc>(typeof(T))));
        next.Describe(definition);
    }

    public override void ReadState(ref StateReader reader)
    {
        reader.Expect(StateVersion, "global window state version");
        _table.ReadState(ref reader);
        next.ReadState(ref reader);
    }
}
