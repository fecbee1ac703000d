using System.Globalization;
using System.Text;
using Confluent.Kafka;
using StreamKit.Runtime;

namespace StreamKit.Kafka;

/// <summary>
/// Sends records that could not be processed to a dead-letter topic: the original key and payload bytes unchanged,
/// the original timestamp, and where they came from and why in headers.
/// </summary>
/// <remarks>
/// <para>Headers (UTF-8 text): <c>streamkit.source</c> (the source's name), <c>streamkit.partition</c> (its partition
/// name), <c>streamkit.position</c>, <c>streamkit.reason</c>; for a Kafka source also <c>kafka.topic</c>,
/// <c>kafka.partition</c> and <c>kafka.offset</c> of the original message.</para>
/// <para><see cref="FlushAsync"/> waits for delivery, so the runner never commits past a dead letter that is not stored.
/// Called on the runner's thread; allocates per dead letter (headers), which is the bad path.</para>
/// </remarks>
public sealed class KafkaDeadLetterSink : IDeadLetterSink, IAsyncDisposable
{
    /// <summary>Header with the source's name.</summary>
    public const string SourceHeader = "streamkit.source";

    /// <summary>Header with the source partition's name.</summary>
    public const string PartitionHeader = "streamkit.partition";

    /// <summary>Header with the record's position in its partition.</summary>
    public const string PositionHeader = "streamkit.position";

    /// <summary>Header with the reason the record was rejected.</summary>
    public const string ReasonHeader = "streamkit.reason";

    /// <summary>Header with the original topic (Kafka sources).</summary>
    public const string TopicHeader = "kafka.topic";

    /// <summary>Header with the original partition number (Kafka sources).</summary>
    public const string KafkaPartitionHeader = "kafka.partition";

    /// <summary>Header with the original offset (Kafka sources).</summary>
    public const string OffsetHeader = "kafka.offset";

    private readonly KafkaProducer _producer;
    private readonly bool _ownsProducer;
    private readonly string _topic;

    /// <summary>Creates a dead-letter sink with a producer of its own.</summary>
    public KafkaDeadLetterSink(KafkaDeadLetterSinkOptions options)
        : this(CreateProducer(options), options, ownsProducer: true)
    {
    }

    /// <summary>Creates a dead-letter sink writing through a shared producer (in a transactional pipeline, the same one as the output).</summary>
    public KafkaDeadLetterSink(KafkaProducer producer, KafkaDeadLetterSinkOptions options)
        : this(producer, options, ownsProducer: false)
    {
    }

    private KafkaDeadLetterSink(KafkaProducer producer, KafkaDeadLetterSinkOptions options, bool ownsProducer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Topic, nameof(options.Topic));
        _producer = producer;
        _ownsProducer = ownsProducer;
        _topic = options.Topic;
    }

    /// <summary>How many dead letters were written.</summary>
    public long Count { get; private set; }

    /// <inheritdoc />
    public void Write(in DeadLetter letter)
    {
        var headers = new Headers
        {
            { SourceHeader, Encoding.UTF8.GetBytes(letter.Source) },
            { PartitionHeader, Encoding.UTF8.GetBytes(letter.Partition) },
            { PositionHeader, Encoding.UTF8.GetBytes(letter.Position.ToString(CultureInfo.InvariantCulture)) },
            { ReasonHeader, Encoding.UTF8.GetBytes(letter.Reason) },
        };
        if (letter.Source.StartsWith("kafka:", StringComparison.Ordinal) && KafkaPartitionName.TryParse(letter.Partition, out var topic, out var partition))
        {
            headers.Add(TopicHeader, Encoding.UTF8.GetBytes(topic));
            headers.Add(KafkaPartitionHeader, Encoding.UTF8.GetBytes(partition.ToString(CultureInfo.InvariantCulture)));
            headers.Add(OffsetHeader, Encoding.UTF8.GetBytes(letter.Position.ToString(CultureInfo.InvariantCulture)));
        }

        _producer.Produce(_topic, Partition.Any, letter.Key, !letter.Key.IsEmpty, letter.Payload, headers, letter.Timestamp);
        Count++;
    }

    /// <inheritdoc />
    /// <exception cref="KafkaException">A dead letter could not be delivered.</exception>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _producer.FlushAsync(cancellationToken);

    /// <summary>Disposes the producer if this sink created it.</summary>
    public ValueTask DisposeAsync()
    {
        if (_ownsProducer)
        {
            _producer.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private static KafkaProducer CreateProducer(KafkaDeadLetterSinkOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new KafkaProducer(options);
    }
}
