namespace StreamKit.Hosting.AzureFunctions;

/// <summary>One event of a Kafka trigger batch, as the Kafka extension's <c>KafkaEventData</c> carries it.</summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition number.</param>
/// <param name="Offset">The offset in the partition: the replay-dedup key.</param>
/// <param name="Timestamp">The message timestamp (create or log-append time).</param>
/// <param name="Key">The key bytes, or empty.</param>
/// <param name="Value">The value bytes.</param>
public readonly record struct KafkaTriggerEvent(string Topic, int Partition, long Offset, DateTime Timestamp, ReadOnlyMemory<byte> Key, ReadOnlyMemory<byte> Value);
