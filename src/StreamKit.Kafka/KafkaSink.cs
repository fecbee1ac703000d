using System.Buffers;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using StreamKit.Codecs;
using StreamKit.Diagnostics;

namespace StreamKit.Kafka;

/// <summary>Writes a pipeline's output records to a Kafka topic, one message per record, through an idempotent (or transactional) producer.</summary>
/// <remarks>
/// <para><see cref="Write"/> encodes each record into a reused buffer and hands it to librdkafka with a delivery
/// handler; nothing waits per message. <see cref="FlushAsync"/> waits until every message has its delivery report and
/// throws if any could not be delivered, so the runner commits input positions only after their output is in Kafka.
/// After a crash, output since the last checkpoint is produced again (at-least-once); with a transactional producer and
/// <c>read_committed</c> readers it is not seen twice.</para>
/// <para>Called on the runner's thread. No allocation per record in StreamKit (see <see cref="KafkaProducer"/> for Confluent.Kafka's).</para>
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed class KafkaSink<T> : IRecordSink<T>, IAsyncDisposable
{
    private readonly KafkaProducer _producer;
    private readonly bool _ownsProducer;
    private readonly string _topic;
    private readonly IRecordEncoder<T> _encoder;
    private readonly KafkaKeyWriter<T>? _keyWriter;
    private readonly KafkaTimestampSelector<T>? _timestamp;
    private readonly Headers? _headers;
    private readonly bool _trim;
    private readonly ArrayBufferWriter<byte> _value = new(256);
    private readonly ArrayBufferWriter<byte> _key = new(64);

    /// <summary>Creates a sink with a producer of its own, configured by <paramref name="options"/>.</summary>
    public KafkaSink(KafkaSinkOptions<T> options)
        : this(CreateProducer(options), options, ownsProducer: true)
    {
    }

    /// <summary>Creates a sink that writes through a shared producer (e.g. a transactional one); the producer settings in <paramref name="options"/> are not used.</summary>
    public KafkaSink(KafkaProducer producer, KafkaSinkOptions<T> options)
        : this(producer, options, ownsProducer: false)
    {
    }

    private KafkaSink(KafkaProducer producer, KafkaSinkOptions<T> options, bool ownsProducer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(ownProducer: false);
        _producer = producer;
        _ownsProducer = ownsProducer;
        _topic = options.Topic;
        _encoder = options.Encoder!;
        _keyWriter = options.Key;
        _timestamp = options.Timestamp;
        _trim = options.TrimTrailingNewline;
        if (options.Headers is { Count: > 0 } headers)
        {
            _headers = [];
            foreach (var (name, value) in headers)
            {
                _headers.Add(name, value);
            }
        }
    }

    /// <summary>The producer this sink writes through.</summary>
    public KafkaProducer Producer => _producer;

    /// <summary>How many records were written.</summary>
    public long Count { get; private set; }

    /// <inheritdoc />
    /// <remarks>
    /// While an activity is current (the runner's <c>streamkit.batch</c> activity when a tracer listens), every message
    /// of the call carries its W3C <c>traceparent</c> (and <c>tracestate</c>) header; that costs one header list per
    /// call, not per record, and nothing when no activity is current.
    /// </remarks>
    public void Write(ReadOnlySpan<T> records)
    {
        var headers = Activity.Current is { IdFormat: ActivityIdFormat.W3C } activity ? WithTraceContext(activity) : _headers;
        foreach (ref readonly var record in records)
        {
            _value.ResetWrittenCount();
            _encoder.Encode(record, _value);
            var value = _trim ? EncodedRecord.WithoutLineEnd(_value.WrittenSpan) : _value.WrittenSpan;

            _key.ResetWrittenCount();
            _keyWriter?.Invoke(record, _key);
            var timestamp = _timestamp?.Invoke(record) ?? 0;
            _producer.Produce(_topic, Partition.Any, _key.WrittenSpan, _keyWriter is not null, value, headers, timestamp);
        }

        Count += records.Length;
    }

    /// <inheritdoc />
    /// <exception cref="KafkaException">A message could not be delivered, or the producer failed.</exception>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => _producer.FlushAsync(cancellationToken);

    /// <summary>Disposes the producer if this sink created it (flushing what is outstanding).</summary>
    public ValueTask DisposeAsync()
    {
        if (_ownsProducer)
        {
            _producer.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    private Headers WithTraceContext(Activity activity)
    {
        var headers = new Headers();
        if (_headers is not null)
        {
            foreach (var header in _headers)
            {
                headers.Add(header.Key, header.GetValueBytes());
            }
        }

        headers.Add(StreamKitActivities.TraceParentHeader, Encoding.ASCII.GetBytes(activity.Id!));
        if (activity.TraceStateString is { Length: > 0 } state)
        {
            headers.Add(StreamKitActivities.TraceStateHeader, Encoding.ASCII.GetBytes(state));
        }

        return headers;
    }

    private static KafkaProducer CreateProducer(KafkaSinkOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(ownProducer: true);
        return new KafkaProducer(options);
    }
}
