using StreamKit.Aggregates;
using StreamKit.Operators;
using StreamKit.State;

namespace StreamKit.Windows;

/// <summary>
/// Tumbling and hopping windows over per-key partial aggregates kept per slice (one hop of event time). A window's
/// result is the merge of its slices; each event is folded into exactly one slice.
/// </summary>
/// <remarks>
/// Window <c>[s, s + size)</c> fires once the watermark reaches <c>s + size</c>. A slice is dropped once the last
/// window containing it has fired and its retention (allowed lateness, update policy only) has passed. An event is
/// late when no window containing it can still take it; see <see cref="LateEventPolicy"/>.
/// </remarks>
internal sealed class SlicedWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator> : BatchOperator<T>
    where TKey : unmanaged, IEquatable<TKey>
    where TKeySelector : struct, ISelector<T, TKey>
    where TAcc : unmanaged
    where TAggregator : struct, IAggregator<T, TAcc, TResult>
{
    private const int StateVersion = 1;
    private readonly long _size;
    private readonly long _hop;
    private readonly TKeySelector _keySelector;
    private readonly TAggregator _aggregator;
    private readonly WindowSettings<T> _settings;
    private readonly BatchOperator<WindowResult<TKey, TResult>> _next;
    private readonly OutputBuffer<WindowResult<TKey, TResult>> _output = new();
    private readonly List<Slice> _slices = []; // sorted by start
    private readonly Stack<Slice> _pool = new();
    private readonly KeyedTable<TKey, TAcc> _merged;
    private readonly LateEvents<T> _late;
    private long _watermark = long.MinValue;
    private long _firedThrough = long.MinValue; // every window ending at or before this has fired

    // The slice the previous event went to, and whether its first window is still open: with in-order-ish input
    // nearly every event hits it, which skips the division, the search and the lateness checks.
    private Slice? _current;
    private bool _currentOnTime;

    public SlicedWindowOperator(
        WindowSpec spec,
        TKeySelector keySelector,
        TAggregator aggregator,
        WindowSettings<T> settings,
        BatchOperator<WindowResult<TKey, TResult>> next)
    {
        _size = spec.SizeMs;
        _hop = spec.HopMs;
        _keySelector = keySelector;
        _aggregator = aggregator;
        _settings = settings;
        _next = next;
        _late = new LateEvents<T>(settings);
        _merged = new KeyedTable<TKey, TAcc>(_size == _hop ? 4 : settings.TableCapacity);

        // With a hint, the slices live at once in steady state (those of one window, one more being filled) are
        // allocated at build time, so a cold pipeline does not grow them key by key.
        if (settings.ExpectedKeys > 0)
        {
            for (var i = 0; i <= _size / _hop; i++)
            {
                _pool.Push(new Slice(settings.TableCapacity));
            }
        }
    }

    public override void OnBatch(Span<T> items, Span<long> timestamps)
    {
        for (var i = 0; i < items.Length; i++)
        {
            var time = timestamps[i];
            var slice = _current;
            if (slice is not null && _currentOnTime && time >= slice.Start && time - slice.Start < _hop)
            {
                Fold(slice, items[i]);
                continue;
            }

            AddSlow(items[i], time);
        }

        _output.FlushTo(_next);
        _late.Flush();
    }

    public override bool ReadsTimestamps => true;

    public override void OnWatermark(long watermark)
    {
        if (watermark <= _watermark)
        {
            return;
        }

        _watermark = watermark;
        Fire(watermark);
        Purge(watermark);
        _currentOnTime = _current is not null && !HasFired(_current.Start + _hop);
        _output.FlushTo(_next);
        _next.OnWatermark(watermark);
    }

    public override void OnCompleted()
    {
        // The end of a bounded input closes every window; with no more input there is nothing left to retain.
        Fire(long.MaxValue);
        _watermark = long.MaxValue;
        Purge(long.MaxValue);
        _output.FlushTo(_next);
        _next.OnCompleted();
    }

    public override void WriteState(StateWriter writer)
    {
        writer.WriteInt32(StateVersion);
        writer.WriteInt64(_size);
        writer.WriteInt64(_hop);
        writer.WriteInt64(_watermark);
        writer.WriteInt64(_firedThrough);
        writer.WriteInt32(_slices.Count);
        foreach (var slice in _slices)
        {
            writer.WriteInt64(slice.Start);
            slice.Table.WriteState(writer);
        }

        _next.WriteState(writer);
    }

    public override void Describe(List<KeyValuePair<string, string>> definition)
    {
        SnapshotFormat.AddWindowStage(
            definition,
            ("window", _size == _hop ? "tumbling " + SnapshotFormat.Milliseconds(_size) : "hopping " + SnapshotFormat.Milliseconds(_size) + " every " + SnapshotFormat.Milliseconds(_hop)),
            ("window late events", _settings.LatePolicyDescription),
            ("window key", SnapshotFormat.LayoutName<TKey>(typeof(T))),
            ("window aggregate", SnapshotFormat.TypeName(typeof(TAggregator), typeof(T))),
            ("window accumulator", SnapshotFormat.LayoutName<TAcc>(typeof(T))));
        _next.Describe(definition);
    }

    public override void ReadState(ref StateReader reader)
    {
        reader.Expect(StateVersion, "window state version");
        if (reader.ReadInt64() != _size || reader.ReadInt64() != _hop)
        {
            throw new InvalidDataException("State snapshot was written by a pipeline with different windows.");
        }

        _watermark = reader.ReadInt64();
        _firedThrough = reader.ReadInt64();
        foreach (var slice in _slices)
        {
            Recycle(slice);
        }

        _slices.Clear();
        var count = reader.ReadCount();
        for (var i = 0; i < count; i++)
        {
            var slice = Rent(reader.ReadInt64());
            slice.Table.ReadState(ref reader);
            _slices.Add(slice);
        }

        _current = null;
        _next.ReadState(ref reader);
    }

    private void Fold(Slice slice, in T item)
    {
        ref var acc = ref slice.Table.GetOrAdd(_keySelector.Invoke(item), out var added);
        if (added)
        {
            _aggregator.Reset(ref acc);
        }

        _aggregator.Add(ref acc, item);
    }

    private void AddSlow(in T item, long time)
    {
        var start = time - Mod(time, _hop);
        var firstEnd = start + _hop;
        var lastEnd = start + _size;
        var retention = _settings.RetentionMs;

        // Windows still open take the event; under the update policy so do fired windows still retained.
        var takesLastWindow = !HasFired(lastEnd) || (retention > 0 && lastEnd > _watermark - retention);
        if (!takesLastWindow)
        {
            _late.Reject(item, time);
            return;
        }

        var slice = FindOrAddSlice(start);
        Fold(slice, item);
        _current = slice;
        _currentOnTime = !HasFired(firstEnd);
        if (!_currentOnTime && retention > 0)
        {
            EmitUpdates(slice, _keySelector.Invoke(item), retention);
        }

        // Late means every window containing the event had fired; one that still has an open window (hopping) is
        // on time there, even when it also updates fired ones.
        if (HasFired(lastEnd))
        {
            _settings.Counters.LateEvents++;
        }
    }

    /// <summary>Re-emits, as updates, the fired and still retained windows containing <paramref name="slice"/> for one key.</summary>
    private void EmitUpdates(Slice slice, TKey key, long retention)
    {
        for (var end = slice.Start + _hop; end <= slice.Start + _size; end += _hop)
        {
            if (HasFired(end) && end > _watermark - retention)
            {
                TAcc acc = default;
                _aggregator.Reset(ref acc);
                foreach (var member in _slices)
                {
                    if (member.Start >= end - _size && member.Start < end)
                    {
                        var index = member.Table.IndexOf(key);
                        if (index >= 0)
                        {
                            _aggregator.Merge(ref acc, member.Table.ValueAt(index));
                        }
                    }
                }

                Emit(end - _size, end, key, acc, isUpdate: true);
            }
        }
    }

    private bool HasFired(long windowEnd) => windowEnd <= _firedThrough;

    private void Fire(long watermark)
    {
        if (_firedThrough == long.MaxValue)
        {
            return;
        }

        if (_slices.Count == 0)
        {
            _firedThrough = Math.Max(_firedThrough, FloorToHop(watermark));
            return;
        }

        // Only window ends that cover some slice can have results; start at the first unfired one.
        var first = _slices[0].Start + _hop;
        var last = _slices[^1].Start + _size;
        var end = Math.Max(first, _firedThrough == long.MinValue ? first : _firedThrough + _hop);
        for (; end <= last && end <= watermark; end += _hop)
        {
            FireWindow(end - _size, end);
        }

        _firedThrough = Math.Max(_firedThrough, watermark == long.MaxValue ? long.MaxValue : FloorToHop(watermark));
    }

    private void FireWindow(long start, long end)
    {
        if (_size == _hop)
        {
            var slice = Find(start);
            if (slice is not null)
            {
                EmitAll(start, end, slice.Table);
            }

            return;
        }

        _merged.Clear();
        foreach (var slice in _slices)
        {
            if (slice.Start >= end)
            {
                break;
            }

            if (slice.Start < start)
            {
                continue;
            }

            var keys = slice.Table.Keys;
            var values = slice.Table.Values;
            for (var i = 0; i < keys.Length; i++)
            {
                ref var acc = ref _merged.GetOrAdd(keys[i], out var added);
                if (added)
                {
                    _aggregator.Reset(ref acc);
                }

                _aggregator.Merge(ref acc, values[i]);
            }
        }

        EmitAll(start, end, _merged);
    }

    private void EmitAll(long start, long end, KeyedTable<TKey, TAcc> table)
    {
        var keys = table.Keys;
        var values = table.Values;
        for (var i = 0; i < keys.Length; i++)
        {
            Emit(start, end, keys[i], values[i], isUpdate: false);
        }
    }

    private void Emit(long start, long end, TKey key, in TAcc acc, bool isUpdate)
    {
        _output.Add(new WindowResult<TKey, TResult>(start, end, key, _aggregator.GetResult(acc), isUpdate), end - 1);
        _settings.Counters.WindowsFired++;
    }

    private void Purge(long watermark)
    {
        var retention = _settings.RetentionMs;
        var removed = 0;
        while (removed < _slices.Count && IsExpired(_slices[removed].Start, watermark, retention))
        {
            if (ReferenceEquals(_slices[removed], _current))
            {
                _current = null;
            }

            Recycle(_slices[removed]);
            removed++;
        }

        _slices.RemoveRange(0, removed);
    }

    private bool IsExpired(long sliceStart, long watermark, long retention) =>
        watermark == long.MaxValue || sliceStart + _size + retention <= watermark;

    private Slice FindOrAddSlice(long start)
    {
        var index = _slices.Count;
        while (index > 0 && _slices[index - 1].Start >= start)
        {
            index--;
        }

        if (index < _slices.Count && _slices[index].Start == start)
        {
            return _slices[index];
        }

        var slice = Rent(start);
        _slices.Insert(index, slice);
        return slice;
    }

    private Slice? Find(long start)
    {
        foreach (var slice in _slices)
        {
            if (slice.Start == start)
            {
                return slice;
            }
        }

        return null;
    }

    // Slices are recycled with their tables: after warm-up, time moving on allocates nothing.
    private Slice Rent(long start)
    {
        var slice = _pool.TryPop(out var pooled) ? pooled : new Slice(_settings.TableCapacity);
        slice.Start = start;
        return slice;
    }

    private void Recycle(Slice slice)
    {
        slice.Table.Clear();
        _pool.Push(slice);
    }

    private long FloorToHop(long time) => time - Mod(time, _hop);

    private static long Mod(long value, long divisor)
    {
        var remainder = value % divisor;
        return remainder < 0 ? remainder + divisor : remainder;
    }

    /// <summary>One hop of event time and its per-key partial aggregates.</summary>
    private sealed class Slice(int capacity)
    {
        public long Start { get; set; }

        public KeyedTable<TKey, TAcc> Table { get; } = new(capacity);
    }
}
