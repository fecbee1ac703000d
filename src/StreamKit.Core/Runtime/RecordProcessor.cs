using System.Diagnostics;
using StreamKit.Diagnostics;
using StreamKit.Records;

namespace StreamKit.Runtime;

/// <summary>
/// The per-record loop both runners share: skip what a partition already applied, dead-letter what the source or the
/// decoder rejects, decode the rest into a reused buffer, and give them to the pipeline in one call.
/// </summary>
/// <remarks>
/// Generic over the input (<see cref="RawRecordBatch"/> or <see cref="InvocationBatch"/>) through struct adapters, so
/// the JIT specialises the loop for each and nothing is dispatched or allocated per record: a partition's applied
/// position is compared in place and kept once per call (<see cref="StreamPosition"/>). Not thread-safe.
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class RecordProcessor<T>(IDeadLetterSink deadLetters, string sourceName, bool useSourceTimestamps)
    where T : struct
{
    private T[] _records = new T[1024];
    private long[] _timestamps = new long[1024];

    /// <summary>Processes records <paramref name="start"/> to <paramref name="end"/> (exclusive) of <paramref name="input"/>, all of partition <paramref name="partition"/> of <paramref name="target"/>.</summary>
    /// <param name="input">The records.</param>
    /// <param name="start">The first record to process.</param>
    /// <param name="end">One past the last record to process.</param>
    /// <param name="target">The pipeline they go to, with its applied positions.</param>
    /// <param name="partition">Their partition's index in <paramref name="target"/>, also the pipeline's watermark partition.</param>
    /// <param name="counts">Incremented by what happened to each record.</param>
    public void Process<TInput>(ref TInput input, int start, int end, CheckpointedPipeline<T> target, int partition, ref RecordCounts counts)
        where TInput : struct, IPositionedRecords
    {
        var started = Stopwatch.GetTimestamp();
        if (_records.Length < end - start)
        {
            _records = new T[end - start];
            _timestamps = new long[end - start];
        }

        ref var applied = ref target.Applied(partition);
        var partitionName = target.PartitionNames[partition];
        var decoder = target.Decoder;
        var rawDecoder = target.RawDecoder;
        var count = 0;
        var deadLettered = 0;
        input.Start(applied);
        for (var i = start; i < end; i++)
        {
            if (!input.Advance(i))
            {
                counts.Skipped++;
                continue;
            }

            var raw = input[i];
            if (raw.Error is not null)
            {
                DeadLetter(ref input, i, partitionName, raw, raw.Error);
                deadLettered++;
                continue;
            }

            ref var record = ref _records[count];
            record = default;
            if (!(rawDecoder is null ? decoder.TryDecode(raw.Value, ref record, out var error) : rawDecoder.TryDecode(raw, ref record, out error)))
            {
                DeadLetter(ref input, i, partitionName, raw, error ?? "rejected by the decoder");
                deadLettered++;
                continue;
            }

            _timestamps[count++] = raw.Timestamp;
        }

        applied = input.Applied;
        counts.Read += end - start;
        counts.DeadLettered += deadLettered;
        counts.Processed += count;
        if (useSourceTimestamps)
        {
            target.Pipeline.Process(_records.AsSpan(0, count), _timestamps.AsSpan(0, count), partition);
        }
        else
        {
            target.Pipeline.Process(_records.AsSpan(0, count), partition);
        }

        if (deadLettered > 0)
        {
            StreamKitMetrics.DeadLetters.Add(deadLettered, target.Tags);
        }

        StreamKitMetrics.BatchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, target.Tags);
    }

    private void DeadLetter<TInput>(ref TInput input, int index, string partition, RawRecord raw, string reason)
        where TInput : struct, IPositionedRecords
    {
        var position = input.PositionAt(index);
        deadLetters.Write(new DeadLetter(sourceName, partition, position.ToInt64(), reason, raw.Value, raw.Key, raw.Timestamp)
        {
            Sequence = position.ToLargeString(),
        });
    }
}

/// <summary>What <see cref="RecordProcessor{T}"/> did with records: every record read is skipped, dead-lettered or processed.</summary>
internal struct RecordCounts
{
    public long Read;
    public long Skipped;
    public long DeadLettered;
    public long Processed;
}

/// <summary>Records with positions, as <see cref="RecordProcessor{T}"/> reads them: one partition's run at a time, in order.</summary>
/// <remarks>
/// A mutable struct that keeps the run's high-water mark (the applied position, then the last record taken), so
/// comparing a record needs no allocation and, for <see langword="long"/> positions, one integer comparison.
/// </remarks>
internal interface IPositionedRecords
{
    /// <summary>The record at <paramref name="index"/> as a decoder sees it.</summary>
    RawRecord this[int index] { get; }

    /// <summary>The position after the run so far: where <see cref="Start"/> set it, or the last record <see cref="Advance"/> took.</summary>
    StreamPosition Applied { get; }

    /// <summary>Starts a run of one partition whose records at or before <paramref name="applied"/> are already applied.</summary>
    void Start(in StreamPosition applied);

    /// <summary>Whether the record at <paramref name="index"/> comes after the high-water mark; if so, it becomes the mark.</summary>
    bool Advance(int index);

    /// <summary>The position of the record at <paramref name="index"/>, kept beyond the input's life.</summary>
    StreamPosition PositionAt(int index);
}

/// <summary>A source's batch: one partition, positions that fit a <see langword="long"/>.</summary>
internal struct RawBatchRecords(RawRecordBatch batch) : IPositionedRecords
{
    private StreamPosition _applied;
    private long _high;
    private bool _advanced;

    public readonly RawRecord this[int index] => batch[index];

    public readonly StreamPosition Applied => _advanced ? StreamPosition.FromInt64(_high) : _applied;

    public void Start(in StreamPosition applied)
    {
        _applied = applied;
        _high = applied.ToInt64();
        _advanced = false;
    }

    public bool Advance(int index)
    {
        var position = batch.PositionAt(index);
        if (position <= _high)
        {
            return false;
        }

        _high = position;
        _advanced = true;
        return true;
    }

    public readonly StreamPosition PositionAt(int index) => StreamPosition.FromInt64(batch.PositionAt(index));
}

/// <summary>An invocation's batch: sequence numbers of any length (the processor is given one partition's run of it).</summary>
internal struct InvocationRecords(InvocationBatch batch) : IPositionedRecords
{
    private StreamPosition _applied;
    private int _last;

    public readonly RawRecord this[int index] => batch.RawAt(index);

    /// <remarks>
    /// Reuses the applied position's digits (their owner replaces it with this), so runs of a shard whose sequence numbers
    /// keep one length allocate nothing; otherwise it allocates once per run.
    /// </remarks>
    public readonly StreamPosition Applied =>
        _last < 0 ? _applied
        : batch.PositionAt(_last) is var value and >= 0 ? StreamPosition.FromInt64(value)
        : StreamPosition.FromDigits(batch.SequenceAt(_last), _applied);

    public void Start(in StreamPosition applied)
    {
        _applied = applied;
        _last = -1;
    }

    public bool Advance(int index)
    {
        var after = _last < 0
            ? _applied.CompareTo(batch.PositionAt(index), batch.SequenceAt(index)) > 0
            : StreamPosition.Compare(batch.PositionAt(index), batch.SequenceAt(index), batch.PositionAt(_last), batch.SequenceAt(_last)) > 0;
        if (after)
        {
            _last = index;
        }

        return after;
    }

    /// <summary>Whether the record at <paramref name="index"/> comes after <paramref name="applied"/>.</summary>
    public readonly bool IsAfter(int index, in StreamPosition applied) => applied.CompareTo(batch.PositionAt(index), batch.SequenceAt(index)) > 0;

    public readonly StreamPosition PositionAt(int index) =>
        batch.PositionAt(index) is var value and >= 0 ? StreamPosition.FromInt64(value) : StreamPosition.FromDigits(batch.SequenceAt(index));
}
