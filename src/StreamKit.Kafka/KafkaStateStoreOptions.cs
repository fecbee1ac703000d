namespace StreamKit.Kafka;

/// <summary>Settings of a <see cref="KafkaStateStore"/>.</summary>
public sealed class KafkaStateStoreOptions
{
    /// <summary>The brokers to read snapshots back from, comma-separated <c>host:port</c>.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary>The snapshot topic: create it compacted (<c>cleanup.policy=compact</c>); snapshots go to its partition 0.</summary>
    public string Topic { get; set; } = "";

    /// <summary>Extra librdkafka settings for the consumer that loads snapshots (security, as for the source).</summary>
    public IReadOnlyDictionary<string, string>? Config { get; set; }

    /// <summary>How long loading may take.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
