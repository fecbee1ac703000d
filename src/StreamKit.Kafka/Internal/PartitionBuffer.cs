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
