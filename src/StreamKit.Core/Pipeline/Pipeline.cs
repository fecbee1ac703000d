using System.Diagnostics;
using System.Globalization;
using StreamKit.Diagnostics;
using StreamKit.Operators;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

/// <summary>A built pipeline: give it batches of records, it runs the fused operators and writes results to its sink.</summary>
/// <remarks>
/// Build once and reuse for every batch (in a function host: once per process, across warm invocations). Not
/// thread-safe: one thread processes at a time. <see cref="Process(Span{T}, int)"/> may reorder and overwrite the
/// span it is given (filters compact in place). Steady-state processing allocates nothing.
/// </remarks>
/// <typeparam name="T">The input record type.</typeparam>
public sealed class Pipeline<T> : ICheckpointed
    where T : struct
{
    private const int StateMagic = 0x534B5031; // "SKP1"
    private readonly KeyValuePair<string, string>[] _definition;
    private readonly BatchOperator<T> _head;
    private readonly ITimestamps? _eventTime;
    private readonly bool _readsTimestamps;
    private readonly WatermarkTracker _watermarks;
    private readonly IReadOnlyList<ICheckpointed> _extraState;
    private readonly TagList _tags;
    private readonly TimeProvider _clock;
    private long[] _timestamps = new long[1024];
    private long _reportedOut;
    private long _reportedLate;
    private bool _completed;

    private readonly IReadOnlyList<Func<CancellationToken, ValueTask>> _flushes;
    private readonly IReadOnlyList<ITransactionalSink> _transactional;

    internal Pipeline(
        BatchOperator<T> head,
        ITimestamps? eventTime,
        PipelineOptions options,
        PipelineCounters counters,
        IReadOnlyList<ICheckpointed> extraState,
        IReadOnlyList<Func<CancellationToken, ValueTask>> flushes,
        IReadOnlyList<ITransactionalSink> transactional)
    {
        _flushes = flushes;
        _transactional = transactional;
        _head = head;
        _eventTime = eventTime;
        _readsTimestamps = head.ReadsTimestamps;
        _watermarks = new WatermarkTracker((long)options.MaxOutOfOrderness.TotalMilliseconds, options.IdleTimeout, options.TimeProvider);
        _extraState = extraState;
        _clock = options.TimeProvider;
        Counters = counters;
        Name = options.Name;
        _tags = StreamKitMetrics.Tags(options.Name);
        _definition = Define(head, options, extraState);
    }

    /// <summary>The pipeline's name, as in its options.</summary>
    public string Name { get; }

    /// <summary>What has gone through the pipeline so far.</summary>
    public PipelineCounters Counters { get; }

    /// <summary>The current event-time watermark in epoch milliseconds (<see cref="long.MinValue"/> before any event).</summary>
    public long Watermark => _watermarks.Watermark;

    /// <summary>Whether the event time of each record comes from the record itself (set when building) rather than from the caller.</summary>
    public bool HasEventTimeSelector => _eventTime is not null;

    /// <summary>Processes records, taking event time from the selector given when building.</summary>
    /// <param name="records">The records; the pipeline may overwrite and reorder them.</param>
    /// <param name="partition">The source partition (dense indexes from 0); each has its own watermark.</param>
    public void Process(Span<T> records, int partition = 0)
    {
        if (_eventTime is null)
        {
            throw new InvalidOperationException("This pipeline has no event-time selector: pass timestamps to Process.");
        }

        if (_timestamps.Length < records.Length)
        {
            _timestamps = new long[Math.Max(records.Length, _timestamps.Length * 2)];
        }

        var timestamps = _timestamps.AsSpan(0, records.Length);
        var max = _readsTimestamps ? _eventTime.Extract(records, timestamps) : _eventTime.Max(records);
        Run(records, timestamps, partition, max);
    }

    /// <summary>Processes records with event timestamps supplied by the caller (e.g. the source's).</summary>
    /// <param name="records">The records; the pipeline may overwrite and reorder them.</param>
    /// <param name="timestamps">Each record's event time in epoch milliseconds; overwritten like the records.</param>
    /// <param name="partition">The source partition (dense indexes from 0).</param>
    public void Process(Span<T> records, Span<long> timestamps, int partition = 0)
    {
        if (timestamps.Length != records.Length)
        {
            throw new ArgumentException("One timestamp per record is required.", nameof(timestamps));
        }

        Run(records, timestamps, partition, Max(timestamps));
    }

    /// <summary>Re-evaluates idle partitions (call when a poll returns nothing) so windows can close without new data.</summary>
    public void Tick()
    {
        if (_watermarks.Advance())
        {
            _head.OnWatermark(_watermarks.Watermark);
            Report();
        }
    }

    /// <summary>Announces a partition before its first record: until it sends data or <see cref="CompletePartition"/>, the watermark waits for it.</summary>
    /// <remarks>For bounded inputs read one partition after another (files): without it, the watermark would run ahead on the partitions read so far and the next one's older events would be late.</remarks>
    public void RegisterPartition(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        _watermarks.Register(partition);
    }

    /// <summary>A partition has ended (a file was read to its end): it stops holding the watermark back.</summary>
    public void CompletePartition(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        _watermarks.Finish(partition);
        Tick();
    }

    /// <summary>Moves event time forward to <paramref name="watermark"/> (never back), firing the windows it closes.</summary>
    /// <remarks>For sources that carry their own watermarks, and for tests that drive time by hand.</remarks>
    public void AdvanceWatermark(long watermark)
    {
        if (_watermarks.Force(watermark))
        {
            _head.OnWatermark(watermark);
            Report();
        }
    }

    /// <summary>The bounded input has ended: every open window fires. Further input is late.</summary>
    public void Complete()
    {
        if (_completed)
        {
            return;
        }

        _completed = true;
        _head.OnCompleted();
        Report();
    }

    /// <summary>Flushes every sink of the pipeline (results and late events), making its output so far durable.</summary>
    /// <remarks>
    /// The runners call it as the first step of a checkpoint; the order of the others (dead letters, state with positions,
    /// transactional commits, source commit) is theirs. A pipeline driven by hand calls it to see output; a transactional
    /// sink's flushed output stays invisible until a runner's checkpoint commits it.
    /// </remarks>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        foreach (var flush in _flushes)
        {
            await flush(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Publishes what transactional sinks prepared at the last flush; the runner's checkpoint calls it once the state covering it is saved.</summary>
    internal async ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        foreach (var sink in _transactional)
        {
            await sink.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteInt32(StateMagic);
        writer.WriteInt32(_definition.Length);
        foreach (var (name, value) in _definition)
        {
            writer.WriteString(name);
            writer.WriteString(value);
        }

        _watermarks.WriteState(writer);
        _head.WriteState(writer);
        writer.WriteInt32(_extraState.Count);
        foreach (var state in _extraState)
        {
            state.WriteState(writer);
        }
    }

    /// <inheritdoc />
    /// <exception cref="IncompatibleStateException">The snapshot was written by a pipeline with a different definition (windows, lateness, out-of-orderness, key, aggregate or registered state).</exception>
    /// <exception cref="InvalidDataException">The snapshot is corrupt.</exception>
    public void ReadState(ref StateReader reader)
    {
        reader.Expect(StateMagic, "pipeline snapshot marker");
        CheckDefinition(ref reader);
        _watermarks.ReadState(ref reader);
        _head.ReadState(ref reader);
        reader.Expect(_extraState.Count, "registered state count");
        foreach (var state in _extraState)
        {
            state.ReadState(ref reader);
        }

        _completed = false;
    }

    /// <summary>What shapes the pipeline's state, as (name, value) pairs: stored in snapshots and compared on restore.</summary>
    private static KeyValuePair<string, string>[] Define(BatchOperator<T> head, PipelineOptions options, IReadOnlyList<ICheckpointed> extraState)
    {
        var definition = new List<KeyValuePair<string, string>>
        {
            new("out-of-orderness", SnapshotFormat.Milliseconds((long)options.MaxOutOfOrderness.TotalMilliseconds)),
        };
        head.Describe(definition);
        for (var i = 0; i < extraState.Count; i++)
        {
            definition.Add(new(string.Create(CultureInfo.InvariantCulture, $"state {i + 1}"), SnapshotFormat.TypeName(extraState[i].GetType())));
        }

        return [.. definition];
    }

    private void CheckDefinition(ref StateReader reader)
    {
        var count = reader.ReadCount();
        var stored = new Dictionary<string, string>(count, StringComparer.Ordinal);
        for (var i = 0; i < count; i++)
        {
            stored[reader.ReadString()] = reader.ReadString();
        }

        var changes = new List<string>();
        foreach (var (name, value) in _definition)
        {
            if (!stored.Remove(name, out var old))
            {
                changes.Add($"{name}: none in the snapshot, {value} in this pipeline");
            }
            else if (old != value)
            {
                changes.Add($"{name}: {old} in the snapshot, {value} in this pipeline");
            }
        }

        foreach (var (name, old) in stored)
        {
            changes.Add($"{name}: {old} in the snapshot, none in this pipeline");
        }

        if (changes.Count > 0)
        {
            throw new IncompatibleStateException(
                $"The snapshot was written by a pipeline with a different definition ({string.Join("; ", changes)}). " +
                $"State cannot carry over such a change. {SnapshotFormat.WayForward}");
        }
    }

    private void Run(Span<T> records, Span<long> timestamps, int partition, long maxTimestamp)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        if (records.IsEmpty)
        {
            Tick();
            return;
        }

        Counters.RecordsIn += records.Length;
        StreamKitMetrics.RecordsIn.Add(records.Length, _tags);
        _watermarks.Observe(partition, maxTimestamp);

        // The watermark moves only between batches, so out-of-order events within one batch are never late.
        _head.OnBatch(records, timestamps);
        if (_watermarks.Advance())
        {
            _head.OnWatermark(_watermarks.Watermark);
        }

        Report();
    }

    private void Report()
    {
        var produced = Counters.RecordsOut - _reportedOut;
        if (produced > 0)
        {
            StreamKitMetrics.RecordsOut.Add(produced, _tags);
            _reportedOut = Counters.RecordsOut;
        }

        var late = Counters.LateEvents - _reportedLate;
        if (late > 0)
        {
            StreamKitMetrics.LateEvents.Add(late, _tags);
            _reportedLate = Counters.LateEvents;
        }

        var watermark = _watermarks.Watermark;
        if (watermark != long.MinValue && StreamKitMetrics.WatermarkLag.Enabled)
        {
            StreamKitMetrics.WatermarkLag.Record((_clock.GetUtcNow().ToUnixTimeMilliseconds() - watermark) / 1000.0, _tags);
        }
    }

    private static long Max(ReadOnlySpan<long> values)
    {
        var max = long.MinValue;
        foreach (var value in values)
        {
            max = Math.Max(max, value);
        }

        return max;
    }

    /// <summary>Fills event timestamps for a batch; specialised over the user's selector.</summary>
    internal interface ITimestamps
    {
        /// <summary>Fills <paramref name="timestamps"/> and returns the largest, in one pass.</summary>
        long Extract(ReadOnlySpan<T> records, Span<long> timestamps);

        /// <summary>The largest event time of <paramref name="records"/>, for pipelines where no stage reads the timestamps.</summary>
        long Max(ReadOnlySpan<T> records);
    }

    internal sealed class Timestamps<TSelector>(TSelector selector) : ITimestamps
        where TSelector : struct, ISelector<T, long>
    {
        private readonly TSelector _selector = selector;

        public long Extract(ReadOnlySpan<T> records, Span<long> timestamps)
        {
            var max = long.MinValue;
            timestamps = timestamps[..records.Length];
            for (var i = 0; i < records.Length; i++)
            {
                var time = _selector.Invoke(records[i]);
                timestamps[i] = time;
                max = Math.Max(max, time);
            }

            return max;
        }

        public long Max(ReadOnlySpan<T> records)
        {
            // Branch-free, since event times that repeat or arrive out of order would mispredict a comparison's
            // branch, and in four independent chains, since each step waits for the one before it.
            long max0 = long.MinValue, max1 = long.MinValue, max2 = long.MinValue, max3 = long.MinValue;
            var i = 0;
            for (; i <= records.Length - 4; i += 4)
            {
                max0 = Larger(max0, _selector.Invoke(records[i]));
                max1 = Larger(max1, _selector.Invoke(records[i + 1]));
                max2 = Larger(max2, _selector.Invoke(records[i + 2]));
                max3 = Larger(max3, _selector.Invoke(records[i + 3]));
            }

            for (; i < records.Length; i++)
            {
                max0 = Larger(max0, _selector.Invoke(records[i]));
            }

            return Larger(Larger(max0, max1), Larger(max2, max3));
        }

        private static long Larger(long a, long b) => a ^ ((a ^ b) & -(long)(b > a ? 1 : 0));
    }
}
