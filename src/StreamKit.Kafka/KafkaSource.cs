using System.Diagnostics;
using Confluent.Kafka;
using StreamKit.Diagnostics;
using StreamKit.Kafka.Internal;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Kafka;

/// <summary>
/// Reads Kafka topics into a pipeline: a consume loop on its own thread fills a bounded buffer per assigned partition,
/// and <see cref="ReadAsync"/> hands the runner one partition's messages at a time, round-robin.
/// </summary>
/// <remarks>
/// <para>A batch holds messages of one partition, named <c>topic-partition</c>; a record's position is its offset,
/// its timestamp the message timestamp (epoch milliseconds), its key the message key, and its headers the message
/// headers when <see cref="KafkaSourceOptions.IncludeHeaders"/> is on.</para>
/// <para>Backpressure: when a partition's buffer reaches <see cref="KafkaSourceOptions.MaxBufferedMessagesPerPartition"/>
/// the consume thread waits until half of it is drained, leaving librdkafka's prefetch in place; a partition not drained
/// within 500 ms is paused and resumed once half of it is drained (see the option for the memory bound).</para>
/// <para>Offsets: auto-commit is off. <see cref="CommitAsync"/> commits <c>position + 1</c> (the next offset to
/// read, as Kafka defines a committed offset) for the partitions still assigned, after the runner's checkpoint.
/// <see cref="SeekAsync"/> makes a partition start at <c>checkpoint position + 1</c>, or at the group's committed
/// offset where that is further on (another instance processed the partition since).</para>
/// <para>Rebalances: messages buffered for a revoked partition are dropped; its new owner reads them again from the
/// committed offset (at-least-once). A partition assigned back to this instance continues after the last offset it
/// handed to the pipeline, so one instance never applies a message twice.</para>
/// <para>Watermarks: a bounded source with <see cref="KafkaAssignment.AllPartitions"/> lists every partition in
/// <see cref="Partitions"/>, so the runner holds the watermark until each has sent data or ended, and it hands on one
/// batch with <see cref="RawRecordBatch.EndOfPartition"/> per partition when that partition is read to its end offset
/// (an empty batch for an empty partition). Partitions then may hold any time ranges: none of their events is late
/// because another partition was read first. Otherwise (a consumer group, or unbounded) partitions are not known
/// before they are assigned, and the source primes instead: after an assignment, until every assigned partition has
/// been heard from (a message, or its end) or five seconds have passed, batches carry one message each, unheard
/// partitions first. That only protects partitions whose first messages are within the pipeline's allowed
/// out-of-orderness of each other (see docs/kafka.md).</para>
/// <para><see cref="ReadAsync"/>, <see cref="SeekAsync"/> and <see cref="CommitAsync"/> are called by one thread at a
/// time (the runner's). Steady-state reading allocates nothing in StreamKit; Confluent.Kafka allocates a small
/// result object per message.</para>
/// </remarks>
public sealed partial class KafkaSource : IRecordSource, ITraceContextSource
{
    private readonly KafkaSourceOptions _options;
    private readonly PartitionHandoff _handoff;
    private readonly OffsetTracker _offsets;
    private readonly PartitionAssigner _assigner;
    private readonly KafkaConsumeLoop _loop;
    private readonly List<ActivityContext> _batchContexts = [];
    private bool _disposed;

    /// <summary>Creates the source and its consumer; nothing is read before the first <see cref="ReadAsync"/>.</summary>
    /// <exception cref="ArgumentException">A required setting is missing, or <see cref="KafkaSourceOptions.Config"/> contradicts one StreamKit relies on.</exception>
    public KafkaSource(KafkaSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        Name = "kafka:" + string.Join(',', options.Topics);

        // The consumer's callbacks run on the consume thread, which starts only after this constructor has set the
        // fields they use (hence the null-forgiving reads: the parts need the consumer, the consumer their callbacks).
        var staging = new StagingDeserializer();
        var consumer = KafkaSourceConsumer.Create(
            options,
            staging,
            error => _loop!.OnClientError(error),
            partitions => _assigner!.OnAssigned(partitions),
            partitions => _assigner!.OnRevoked(partitions));
        _handoff = new PartitionHandoff(options, consumer, Name);
        _offsets = new OffsetTracker(options, consumer, _handoff);
        _assigner = new PartitionAssigner(options, consumer, _handoff, _offsets);
        _loop = new KafkaConsumeLoop(options, consumer, staging, _handoff, _assigner);
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The settings this source was created with.</summary>
    public KafkaSourceOptions Options => _options;

    /// <summary>How many times a partition was paused because the pipeline did not drain its full buffer within 500 ms.</summary>
    public long Pauses => _handoff.Pauses;

    /// <summary>Messages buffered between the consume thread and the pipeline, over all partitions.</summary>
    public int Buffered
    {
        get
        {
            lock (_handoff.Gate)
            {
                return _handoff.CountBufferedLocked();
            }
        }
    }

    /// <summary>The partitions currently assigned to this source, as <c>topic-partition</c> names (a copy).</summary>
    public IReadOnlyList<string> AssignedPartitions
    {
        get
        {
            lock (_handoff.Gate)
            {
                return _handoff.AssignedNamesLocked();
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>Bounded with <see cref="KafkaAssignment.AllPartitions"/>: every partition of the topics, as <c>topic-partition</c>,
    /// known from the brokers' metadata before anything is read. The first call fetches that metadata synchronously
    /// (waiting up to <see cref="KafkaSourceOptions.RequestTimeout"/> for a topic to appear); the runner makes it right
    /// after restoring, before its first <see cref="ReadAsync"/>.</para>
    /// <para>Otherwise empty: a consumer group's partitions are known only once assigned, and an unbounded partition never
    /// ends, so listing one that has nothing to read would hold the watermark back for good.</para>
    /// </remarks>
    /// <exception cref="KafkaException">A topic was not found within the request timeout.</exception>
    public IReadOnlyList<string> Partitions
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _assigner.ListsPartitions ? _assigner.PartitionNames() : [];
        }
    }

    /// <inheritdoc />
    /// <remarks>Call before the first <see cref="ReadAsync"/> (the runner does, on restore). Positions of partitions not assigned now are kept for when they are.</remarks>
    /// <exception cref="InvalidOperationException">Reading has already started.</exception>
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_loop.Started)
        {
            throw new InvalidOperationException("SeekAsync must be called before the first ReadAsync.");
        }

        _offsets.Seek(positions);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="KafkaException">The consumer failed fatally (the exception it failed with is rethrown).</exception>
    public ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _loop.EnsureStarted(Name);
        return _handoff.ReadAsync(batch, _batchContexts, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Empty unless <see cref="KafkaSourceOptions.ReadTraceContext"/> is on and a tracer listens.</remarks>
    public void CopyTraceContexts(List<ActivityContext> contexts)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        lock (_handoff.Gate)
        {
            contexts.AddRange(_batchContexts);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Commits <c>position + 1</c> for each listed partition this source still has assigned, synchronously. A commit
    /// refused because the group is rebalancing is reported to <see cref="KafkaSourceOptions.OnError"/> and skipped: the
    /// partition's next owner replays from the previous commit. With a <see cref="KafkaSourceOptions.TransactionalProducer"/>
    /// the offsets are sent in its transaction, which is then committed.
    /// </remarks>
    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _offsets.CommitAsync(positions, _loop.Started, cancellationToken);
    }

    /// <summary>Stops the consume loop, leaves the group (closing the consumer) and releases buffers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await _loop.StopAsync().ConfigureAwait(false);
        _handoff.Dispose();
    }
}
