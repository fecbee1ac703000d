using System.Diagnostics;
using Confluent.Kafka;
using StreamKit.Diagnostics;
using StreamKit.Records;

namespace StreamKit.Kafka.Internal;

/// <summary>
/// One assigned partition's messages between the consume thread and the pipeline: a queue of pooled chunks, each
/// holding keys and values in one byte array with an entry per message.
/// </summary>
/// <remarks>Guarded by the owning source's lock; chunks come from and go back to a <see cref="ChunkPool"/> under that lock.</remarks>
internal sealed class PartitionBuffer(TopicPartition topicPartition)
{
    private readonly Queue<Chunk> _chunks = new();
    private readonly List<TraceRun> _traces = [];
    private Chunk? _tail;

    public TopicPartition TopicPartition { get; } = topicPartition;

    /// <summary>The partition's name in batches and checkpoints: <c>topic-partition</c>, one instance for the source's lifetime.</summary>
    public string Name { get; } = KafkaPartitionName.Format(topicPartition.Topic, topicPartition.Partition.Value);

    /// <summary>The partition alone, for pause and resume calls without allocating a list each time.</summary>
    public TopicPartition[] Alone { get; } = [topicPartition];

    public bool Assigned { get; set; }

    public bool Paused { get; set; }

    /// <summary>Bounded mode: the end offset observed when first assigned (the next offset to be written then); -1 when unbounded or not yet known.</summary>
    public long End { get; set; } = -1;

    /// <summary>Bounded mode: everything before <see cref="End"/> has been consumed.</summary>
    public bool Done { get; set; }

    /// <summary>Bounded mode: the batch marked <c>EndOfPartition</c> has been handed on (once, after everything buffered).</summary>
    public bool Ended { get; set; }

    /// <summary>The last offset handed to the pipeline by this process (-1 when none).</summary>
    public long LastDelivered { get; set; } = -1;

    /// <summary>
    /// Whether the pipeline has heard from this partition: a message was handed on, or its end was reached. Where the
    /// source does not list its partitions, batches carry one message until every assigned partition is primed (see
    /// <c>KafkaSource</c>'s priming).
    /// </summary>
    public bool Primed { get; set; }

    /// <summary>Messages buffered.</summary>
    public int Count { get; private set; }

    public void Append(ChunkPool pool, ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> headers, long offset, long timestamp, string? error)
    {
        var size = key.Length + value.Length + headers.Length;
        if (_tail is null || !_tail.HasRoom(size))
        {
            _tail = pool.Rent(size);
            _chunks.Enqueue(_tail);
        }

        _tail.Add(key, value, headers, offset, timestamp, error);
        Count++;
    }

    /// <summary>Remembers a traced message's context; consecutive messages of one trace (one producer batch) extend one run.</summary>
    public void AddTraceContext(long offset, ActivityContext context)
    {
        if (_traces.Count > 0 && _traces[^1].Context == context)
        {
            _traces[^1] = _traces[^1] with { Last = offset };
            return;
        }

        _traces.Add(new TraceRun(offset, offset, context));
    }

    /// <summary>
    /// Hands the contexts of messages up to <paramref name="last"/> to <paramref name="contexts"/> (distinct, capped);
    /// a run that continues past <paramref name="last"/> stays for the next batch too.
    /// </summary>
    public void TakeTraceContexts(long last, List<ActivityContext>? contexts)
    {
        var done = 0;
        foreach (var run in _traces)
        {
            if (run.First > last)
            {
                break;
            }

            if (contexts is not null && contexts.Count < StreamKitActivities.MaxLinksPerBatch && !contexts.Contains(run.Context))
            {
                contexts.Add(run.Context);
            }

            if (run.Last > last)
            {
                break;
            }

            done++;
        }

        _traces.RemoveRange(0, done);
    }

    /// <summary>Moves up to <paramref name="limit"/> messages into <paramref name="batch"/>, stopping when it is full; returns the last offset moved.</summary>
    public long MoveTo(RawRecordBatch batch, ChunkPool pool, int limit)
    {
        var last = -1L;
        while (limit > 0 && !batch.IsFull && _chunks.TryPeek(out var head))
        {
            var moved = head.MoveTo(batch, ref last, limit);
            limit -= moved;
            Count -= moved;
            if (head.IsDrained)
            {
                _chunks.Dequeue();
                if (ReferenceEquals(head, _tail))
                {
                    _tail = null;
                }

                pool.Return(head);
            }
        }

        return last;
    }

    /// <summary>Drops everything buffered (the partition was revoked: its next owner reads it again from the committed offset).</summary>
    public void Clear(ChunkPool pool)
    {
        while (_chunks.TryDequeue(out var chunk))
        {
            pool.Return(chunk);
        }

        _traces.Clear();
        _tail = null;
        Count = 0;
    }
}

/// <summary>Messages of one partition in one byte array: key, value and encoded headers per message, with an entry each.</summary>
internal sealed class Chunk
{
    public const int StandardBytes = 1 << 16;
    public const int StandardEntries = 512;

    private readonly byte[] _bytes;
    private readonly Entry[] _entries;
    private int _used;
    private int _count;
    private int _next;

    public Chunk(int bytes)
    {
        _bytes = new byte[bytes];
        _entries = new Entry[bytes == StandardBytes ? StandardEntries : 1];
    }

    public bool IsStandard => _bytes.Length == StandardBytes;

    public bool IsDrained => _next == _count;

    public bool HasRoom(int size) => _count < _entries.Length && _used + size <= _bytes.Length;

    public void Add(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value, ReadOnlySpan<byte> headers, long offset, long timestamp, string? error)
    {
        var keyOffset = _used;
        key.CopyTo(_bytes.AsSpan(keyOffset));
        var valueOffset = keyOffset + key.Length;
        value.CopyTo(_bytes.AsSpan(valueOffset));
        headers.CopyTo(_bytes.AsSpan(valueOffset + value.Length));
        _used = valueOffset + value.Length + headers.Length;
        _entries[_count++] = new Entry(keyOffset, key.Length, valueOffset, value.Length, headers.Length, offset, timestamp, error);
    }

    public int MoveTo(RawRecordBatch batch, ref long last, int limit)
    {
        var moved = 0;
        while (_next < _count && moved < limit && !batch.IsFull)
        {
            ref readonly var e = ref _entries[_next++];
            batch.Add(
                _bytes.AsSpan(e.ValueOffset, e.ValueLength),
                _bytes.AsSpan(e.KeyOffset, e.KeyLength),
                e.Offset,
                e.Timestamp,
                e.Error,
                new RecordHeaders(_bytes.AsSpan(e.ValueOffset + e.ValueLength, e.HeadersLength)));

            last = e.Offset;
            moved++;
        }

        return moved;
    }

    public void Reset()
    {
        Array.Clear(_entries, 0, _count); // drop references to error strings
        _used = 0;
        _count = 0;
        _next = 0;
    }

    private readonly record struct Entry(int KeyOffset, int KeyLength, int ValueOffset, int ValueLength, int HeadersLength, long Offset, long Timestamp, string? Error);
}

/// <summary>Reuses standard-size chunks; a message too big for one gets a chunk of its own that is not kept.</summary>
internal sealed class ChunkPool
{
    private readonly Stack<Chunk> _free = new(64); // sized so that returning chunks does not grow it in steady state

    public Chunk Rent(int size)
    {
        if (size > Chunk.StandardBytes)
        {
            return new Chunk(size);
        }

        return _free.TryPop(out var chunk) ? chunk : new Chunk(Chunk.StandardBytes);
    }

    public void Return(Chunk chunk)
    {
        if (chunk.IsStandard)
        {
            chunk.Reset();
            _free.Push(chunk);
        }
    }
}

/// <summary>Consecutive traced messages of a partition (offsets <see cref="First"/> to <see cref="Last"/>) that carried one trace context.</summary>
internal readonly record struct TraceRun(long First, long Last, ActivityContext Context);
