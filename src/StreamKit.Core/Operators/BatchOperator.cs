using StreamKit.State;

namespace StreamKit.Operators;

/// <summary>
/// One physical stage of a fused pipeline. Stages call the next one directly, once per batch, so a batch flows
/// through filter, projection and window without a queue or task in between.
/// </summary>
/// <remarks>
/// <see cref="OnBatch"/> may reorder and overwrite the spans it is given (filters compact in place) and must not
/// keep them after it returns. Everything runs on the pipeline's processing thread.
/// </remarks>
internal abstract class BatchOperator<T>
{
    /// <summary>Processes records and their event timestamps (same length).</summary>
    /// <remarks>When <see cref="ReadsTimestamps"/> is false the timestamps' values are unspecified.</remarks>
    public abstract void OnBatch(Span<T> items, Span<long> timestamps);

    /// <summary>Whether this stage or one after it reads the timestamps <see cref="OnBatch"/> is given.</summary>
    /// <remarks>When none does, the pipeline finds a batch's largest event time without writing one per record.</remarks>
    public abstract bool ReadsTimestamps { get; }

    /// <summary>Event time has advanced to <paramref name="watermark"/>: no earlier event is expected any more.</summary>
    public abstract void OnWatermark(long watermark);

    /// <summary>The input has ended: close everything still open.</summary>
    public abstract void OnCompleted();

    /// <summary>Writes this stage's state and then the stages after it.</summary>
    public abstract void WriteState(StateWriter writer);

    /// <summary>Restores what <see cref="WriteState"/> wrote.</summary>
    public abstract void ReadState(ref StateReader reader);

    /// <summary>Adds what shapes this stage's state (window, lateness, key and accumulator types) and then the later stages' to <paramref name="definition"/>.</summary>
    /// <remarks>Stored in every snapshot: a snapshot whose definition differs from the pipeline's is refused on restore.</remarks>
    public abstract void Describe(List<KeyValuePair<string, string>> definition);
}

/// <summary>A stage with no state of its own that forwards watermarks and state calls to the next stage.</summary>
internal abstract class ForwardingOperator<T, TNext>(BatchOperator<TNext> next) : BatchOperator<T>
{
    protected BatchOperator<TNext> Next { get; } = next;

    public override bool ReadsTimestamps => Next.ReadsTimestamps;

    public override void OnWatermark(long watermark) => Next.OnWatermark(watermark);

    public override void OnCompleted() => Next.OnCompleted();

    public override void WriteState(StateWriter writer) => Next.WriteState(writer);

    public override void ReadState(ref StateReader reader) => Next.ReadState(ref reader);

    public override void Describe(List<KeyValuePair<string, string>> definition) => Next.Describe(definition);
}

/// <summary>Keeps the records its predicate accepts, compacting the batch in place (no copy to a new buffer).</summary>
internal sealed class WhereOperator<T, TPredicate>(TPredicate predicate, BatchOperator<T> next) : ForwardingOperator<T, T>(next)
    where TPredicate : struct, IPredicate<T>
{
    private readonly TPredicate _predicate = predicate;

    public override void OnBatch(Span<T> items, Span<long> timestamps)
    {
        // Branch-free compaction: every record is copied to the next free slot and the slot is kept only if the
        // predicate passed. A filter keeping a random fraction mispredicts a branch on many records; copying a
        // record that is then overwritten is cheaper. Measured with the benchmarks' --paired mode, one million
        // events: Q1 (20 % kept) 5.6 → 4.1 ms, Q2 (80 % kept) 8.7 → 7.9 ms, fastest of 40 runs.
        var kept = 0;
        timestamps = timestamps[..items.Length];
        for (var i = 0; i < items.Length; i++)
        {
            var keep = _predicate.Invoke(items[i]);
            items[kept] = items[i];
            timestamps[kept] = timestamps[i];
            kept += keep ? 1 : 0;
        }

        if (kept > 0)
        {
            Next.OnBatch(items[..kept], timestamps[..kept]);
        }
    }
}

/// <summary>Maps each record to a new type into a buffer it owns and reuses.</summary>
internal sealed class SelectOperator<T, TResult, TSelector>(TSelector selector, BatchOperator<TResult> next) : ForwardingOperator<T, TResult>(next)
    where TSelector : struct, ISelector<T, TResult>
{
    private readonly TSelector _selector = selector;
    private TResult[] _buffer = [];

    public override void OnBatch(Span<T> items, Span<long> timestamps)
    {
        if (_buffer.Length < items.Length)
        {
            _buffer = new TResult[Math.Max(items.Length, _buffer.Length * 2)];
        }

        var output = _buffer.AsSpan(0, items.Length);
        for (var i = 0; i < items.Length; i++)
        {
            output[i] = _selector.Invoke(items[i]);
        }

        Next.OnBatch(output, timestamps);
    }
}

/// <summary>The end of a pipeline: hands each batch to the user's sink.</summary>
internal sealed class SinkOperator<T>(IRecordSink<T> sink, PipelineCounters counters, bool countOutput = true) : BatchOperator<T>
{
    public override void OnBatch(Span<T> items, Span<long> timestamps)
    {
        if (countOutput)
        {
            counters.RecordsOut += items.Length;
        }

        sink.Write(items);
    }

    public override bool ReadsTimestamps => false;

    public override void OnWatermark(long watermark)
    {
    }

    public override void OnCompleted()
    {
    }

    public override void WriteState(StateWriter writer)
    {
    }

    public override void ReadState(ref StateReader reader)
    {
    }

    public override void Describe(List<KeyValuePair<string, string>> definition)
    {
    }
}

/// <summary>A growable buffer of records with timestamps that a stage fills and hands downstream as one batch.</summary>
internal sealed class OutputBuffer<T>
{
    private T[] _items = new T[64];
    private long[] _timestamps = new long[64];
    private int _count;

    public void Add(in T item, long timestamp)
    {
        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _count * 2);
            Array.Resize(ref _timestamps, _count * 2);
        }

        _items[_count] = item;
        _timestamps[_count] = timestamp;
        _count++;
    }

    public void FlushTo(BatchOperator<T> next)
    {
        if (_count == 0)
        {
            return;
        }

        var count = _count;
        _count = 0;
        next.OnBatch(_items.AsSpan(0, count), _timestamps.AsSpan(0, count));
    }
}
