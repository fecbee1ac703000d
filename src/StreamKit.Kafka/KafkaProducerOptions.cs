namespace StreamKit.Kafka;

/// <summary>Settings of a <see cref="KafkaProducer"/>, and the producer part of sink options.</summary>
/// <remarks>
/// Defaults: idempotent (<c>enable.idempotence=true</c>, which implies <c>acks=all</c> and ordered retries), so
/// librdkafka's retries of retriable errors never duplicate or reorder messages. <see cref="Config"/> goes to librdkafka
/// last and may override anything but <c>transactional.id</c>.
/// </remarks>
public class KafkaProducerOptions
{
    /// <summary>The brokers to bootstrap from, comma-separated <c>host:port</c>.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>Whether the producer is idempotent.</summary>
    /// <remarks>Turn off only for a broker or service tier that does not support it.</remarks>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool EnableIdempotence { get; set; } = true;

    /// <summary>
    /// Makes the producer transactional: what is produced between two checkpoints is committed atomically together with
    /// the consumed offsets (see <see cref="KafkaSourceOptions.TransactionalProducer"/>).
    /// </summary>
    /// <remarks>Stable per instance (a restarted instance uses the same id, which fences its previous incarnation) and unique across instances.</remarks>
    public string? TransactionalId { get; set; }

    /// <summary>How long to wait for transaction and commit requests.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Extra librdkafka settings (<c>security.protocol</c>, <c>sasl.*</c>, <c>linger.ms</c>, <c>compression.type</c>, <c>partitioner</c>, ...), applied last.</summary>
    /// <remarks>
    /// librdkafka's default partitioner (<c>consistent_random</c>, CRC32 of the key) differs from the Java client's
    /// (murmur2): set <c>partitioner=murmur2_random</c> when Java producers write the same topic and keys must land together.
    /// </remarks>
    public IReadOnlyDictionary<string, string>? Config { get; set; }

    internal void ValidateProducer()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(BootstrapServers, nameof(BootstrapServers));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RequestTimeout, TimeSpan.Zero, nameof(RequestTimeout));
        if (TransactionalId is not null)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(TransactionalId, nameof(TransactionalId));
        }
    }
}
