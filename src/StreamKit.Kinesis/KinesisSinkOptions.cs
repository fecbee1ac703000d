using StreamKit.Codecs;
using StreamKit.Runtime;

namespace StreamKit.Kinesis;

/// <summary>Settings of a <see cref="KinesisSink{T}"/>: the stream, encoding, partition key, retries and where undeliverable records go.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class KinesisSinkOptions<T> : KinesisClientOptions
{
    /// <summary>The stream written to.</summary>
    public string StreamName { get; set; } = "";

    /// <summary>How a record becomes the Kinesis record's data.</summary>
    public IRecordEncoder<T>? Encoder { get; set; }

    /// <summary>The partition key from the record: it picks the shard, and records with one key keep their order.</summary>
    /// <remarks>Use a <see langword="static"/> lambda: it is called per record.</remarks>
    public KinesisPartitionKeyWriter<T>? PartitionKey { get; set; }

    /// <summary>Where records go that cannot be written: too large, a bad key, or still failing after <see cref="MaxAttempts"/>.</summary>
    /// <remarks>Required, so that output is never dropped silently. The sink flushes it at the end of each flush.</remarks>
    public IDeadLetterSink? DeadLetters { get; set; }

    /// <summary>How many times one record is sent (first try included) while PutRecords reports it failed, before it is dead-lettered.</summary>
    /// <value>Defaults to 8.</value>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Whether records with the same partition key reach the stream in the order they were written.</summary>
    /// <remarks>
    /// PutRecords may fail some entries of a request and accept later ones; a retried entry then lands after a later
    /// record of the same key. With this on, a request carries at most one record per partition key, so a retry can
    /// never overtake: order per key holds (a dead-lettered record is skipped, and the key's later records go on).
    /// The price is throughput when few keys carry many records (each request takes one record of each key). Turn it
    /// off when order does not matter: requests are then filled to 500 records whatever their keys.
    /// </remarks>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool PreserveKeyOrder { get; set; } = true;

    /// <summary>Drops one trailing <c>\n</c> (or <c>\r\n</c>) from each encoded record: file encoders such as JSON lines frame records with it.</summary>
    /// <value>Defaults to <see langword="true"/>.</value>
    public bool TrimTrailingNewline { get; set; } = true;

    internal void Validate()
    {
        ValidateClient();
        ArgumentException.ThrowIfNullOrWhiteSpace(StreamName, nameof(StreamName));
        ArgumentNullException.ThrowIfNull(Encoder, nameof(Encoder));
        ArgumentNullException.ThrowIfNull(PartitionKey, nameof(PartitionKey));
        ArgumentNullException.ThrowIfNull(DeadLetters, nameof(DeadLetters));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxAttempts, nameof(MaxAttempts));
    }
}
