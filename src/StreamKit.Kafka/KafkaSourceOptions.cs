using Confluent.Kafka;

namespace StreamKit.Kafka;

/// <summary>Settings of a <see cref="KafkaSource"/>.</summary>
/// <remarks>
/// Settings StreamKit relies on are fixed and may not be overridden through <see cref="Config"/>:
/// <c>enable.auto.commit=false</c> and <c>enable.auto.offset.store=false</c> (offsets are committed only after a
/// checkpoint). Everything else in <see cref="Config"/> goes to librdkafka as given, last, so it can set security
/// (<c>security.protocol</c>, <c>sasl.*</c>, <c>ssl.*</c> — see <see cref="EventHubsKafka"/>), fetch sizes, the assignment strategy
/// and so on.
/// </remarks>
public sealed class KafkaSourceOptions
{
    /// <summary>The brokers to bootstrap from, comma-separated <c>host:port</c>.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>The topics to read.</summary>
    public IReadOnlyList<string> Topics { get; set; } = [];

    /// <summary>The consumer group: its committed offsets are where a source without a checkpoint starts.</summary>
    public string GroupId { get; set; } = "";

    /// <summary>How partitions are obtained.</summary>
    /// <value>Defaults to <see cref="KafkaAssignment.ConsumerGroup"/>.</value>
    public KafkaAssignment Assignment { get; set; } = KafkaAssignment.ConsumerGroup;

    /// <summary>
    /// Read only up to the end offsets observed when each partition is first assigned, then end: <see cref="KafkaSource.ReadAsync"/>
    /// returns <see langword="false"/> once every assigned partition is read to its end, and the runner closes all windows.
    /// </summary>
    /// <remarks>
    /// Meant for one instance (or <see cref="KafkaAssignment.AllPartitions"/>): with several group members a bounded run ends when this member's partitions are done.
    /// With <see cref="KafkaAssignment.AllPartitions"/> the source lists every partition in <see cref="KafkaSource.Partitions"/> and ends each with an
    /// end-of-partition batch, so no event is late because another partition was read first (see docs/kafka.md).
    /// </remarks>
    public bool Bounded { get; set; }

    /// <summary>Where event time comes from; apply it to the runner with <see cref="KafkaPipelineRunnerOptionsExtensions.UseEventTimeOf"/>.</summary>
    /// <remarks>Either way each raw record carries the message timestamp (epoch milliseconds), which dead letters keep.</remarks>
    /// <value>Defaults to <see cref="KafkaEventTime.Payload"/>.</value>
    public KafkaEventTime EventTime { get; set; } = KafkaEventTime.Payload;

    /// <summary>Where to start a partition that has neither a checkpoint nor a committed offset.</summary>
    /// <value>Defaults to <see cref="AutoOffsetReset.Earliest"/>: a new pipeline reads the whole topic.</value>
    public AutoOffsetReset AutoOffsetReset { get; set; } = AutoOffsetReset.Earliest;

    /// <summary>How many messages may wait per partition between the consume thread and the pipeline.</summary>
    /// <remarks>
    /// <para>When a partition's buffer is full, the consume thread stops polling until the pipeline has drained it to
    /// half; librdkafka meanwhile keeps what it has prefetched and stops fetching once its own queue is full. Only if
    /// the buffer is not drained to half within 500 ms (a stalled pipeline, a per-partition runner waiting for a slot)
    /// is the partition paused, which makes librdkafka drop that partition's prefetch and fetch it again on resume.</para>
    /// <para>Memory is bounded by this times the message size times the assigned partitions, plus librdkafka's prefetch:
    /// at most <c>queued.max.messages.kbytes</c> (64 MiB by default, for all partitions together) and
    /// <c>queued.min.messages</c> per partition (100,000 by default), whichever is reached first, overshot by up to one
    /// fetch (<c>fetch.max.bytes</c>). Lower those through <see cref="Config"/> to bound memory further.</para>
    /// </remarks>
    /// <value>Defaults to 8192.</value>
    public int MaxBufferedMessagesPerPartition { get; set; } = 8192;

    /// <summary>How long <see cref="KafkaSource.ReadAsync"/> waits for messages before returning an empty batch (so idle partitions let windows close).</summary>
    /// <value>Defaults to 100 ms.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long to wait for broker answers when assigning partitions (metadata, committed offsets, end offsets).</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra librdkafka settings (<c>security.protocol</c>, <c>sasl.username</c>, <c>fetch.max.bytes</c>, <c>client.id</c>, ...), applied last.</summary>
    public IReadOnlyDictionary<string, string>? Config { get; set; }

    /// <summary>Carries each message's headers into its raw record, where an <c>IRawRecordDecoder</c> (e.g. <c>EnrichingDecoder</c>) reads them.</summary>
    /// <remarks>
    /// Off by default: Confluent.Kafka then does not marshal headers at all, which saves an allocation per message.
    /// When on, the header names and values are copied into the batch next to the payload (no object per header on
    /// StreamKit's side; Confluent.Kafka still allocates its header list).
    /// </remarks>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool IncludeHeaders { get; set; }

    /// <summary>Reads the W3C <c>traceparent</c>/<c>tracestate</c> headers so each batch's <c>streamkit.batch</c> activity links to the traces its messages came from.</summary>
    /// <remarks>
    /// Turning it on makes Confluent.Kafka marshal headers (an allocation per message). The headers are parsed only
    /// while a tracer listens to the <c>StreamKit</c> activity source; a batch links to at most
    /// <c>StreamKitActivities.MaxLinksPerBatch</c> distinct contexts. Also applies to the per-partition runners of
    /// <see cref="KafkaPartitionedRunner{T}"/>.
    /// </remarks>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool ReadTraceContext { get; set; }

    /// <summary>Called with errors that do not stop the source (a broker went away, a topic does not exist yet, a commit refused during a rebalance).</summary>
    /// <remarks>Mostly on the consume thread; commit and resume errors on the thread that reads. Must not throw.</remarks>
    public Action<Error>? OnError { get; set; }

    /// <summary>
    /// A transactional producer through which offsets are committed instead of the consumer: at each checkpoint the
    /// consumed offsets are sent in the producer's transaction and the transaction is committed (Kafka to Kafka exactly-once).
    /// </summary>
    /// <remarks>See <see cref="KafkaProducer"/> and docs/kafka.md for what this guarantees and what it needs.</remarks>
    public KafkaProducer? TransactionalProducer { get; set; }

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(BootstrapServers, nameof(BootstrapServers));
        ArgumentException.ThrowIfNullOrWhiteSpace(GroupId, nameof(GroupId));
        ArgumentNullException.ThrowIfNull(Topics, nameof(Topics));
        if (Topics.Count == 0)
        {
            throw new ArgumentException("At least one topic is required.", nameof(Topics));
        }

        foreach (var topic in Topics)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(topic, nameof(Topics));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBufferedMessagesPerPartition, 2, nameof(MaxBufferedMessagesPerPartition));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero, nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        if (TransactionalProducer is { IsTransactional: false })
        {
            throw new ArgumentException("The producer has no transactional id.", nameof(TransactionalProducer));
        }
    }
}
