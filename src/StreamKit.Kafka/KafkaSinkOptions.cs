using StreamKit.Codecs;

namespace StreamKit.Kafka;

/// <summary>Settings of a <see cref="KafkaSink{T}"/>: the producer's, plus topic, encoding, key and headers.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class KafkaSinkOptions<T> : KafkaProducerOptions
{
    /// <summary>The topic written to.</summary>
    public string Topic { get; set; } = "";

    /// <summary>How a record becomes the message value (one record per message).</summary>
    public IRecordEncoder<T>? Encoder { get; set; }

    /// <summary>The message key from the record; <see langword="null"/> writes messages without a key (spread over partitions).</summary>
    /// <remarks>Use a <see langword="static"/> lambda: it is called per record.</remarks>
    public KafkaKeyWriter<T>? Key { get; set; }

    /// <summary>The message timestamp from the record (e.g. a window's end); <see langword="null"/> stamps messages with the time they are produced.</summary>
    public KafkaTimestampSelector<T>? Timestamp { get; set; }

    /// <summary>Headers added to every message.</summary>
    public IReadOnlyList<KeyValuePair<string, byte[]>>? Headers { get; set; }

    /// <summary>Drops one trailing <c>\n</c> (or <c>\r\n</c>) from each encoded value: file encoders such as JSON lines frame records with it, and a message needs no framing.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool TrimTrailingNewline { get; set; } = true;

    internal void Validate(bool ownProducer)
    {
        if (ownProducer)
        {
            ValidateProducer();
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(Topic, nameof(Topic));
        ArgumentNullException.ThrowIfNull(Encoder, nameof(Encoder));
    }
}
