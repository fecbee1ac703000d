namespace StreamKit.Runtime;

/// <summary>One record of an <see cref="InvocationBatch"/>; its spans point into the batch.</summary>
/// <param name="Partition">The partition's index in <see cref="InvocationBatch.PartitionNames"/>.</param>
/// <param name="Sequence">The sequence number's digits, without leading zeros.</param>
/// <param name="Value">The payload.</param>
/// <param name="Key">The key, or empty.</param>
/// <param name="Timestamp">The platform's timestamp, Unix milliseconds.</param>
/// <param name="Error">Why the adapter could not read the record, or <see langword="null"/>.</param>
public readonly ref struct InvocationRecord(int Partition, ReadOnlySpan<byte> Sequence, ReadOnlySpan<byte> Value, ReadOnlySpan<byte> Key, long Timestamp, string? Error)
{
    /// <summary>The partition's index in <see cref="InvocationBatch.PartitionNames"/>.</summary>
    public int Partition { get; } = Partition;

    /// <summary>The sequence number's ASCII digits, without leading zeros.</summary>
    public ReadOnlySpan<byte> Sequence { get; } = Sequence;

    /// <summary>The payload.</summary>
    public ReadOnlySpan<byte> Value { get; } = Value;

    /// <summary>The key, or empty.</summary>
    public ReadOnlySpan<byte> Key { get; } = Key;

    /// <summary>The platform's timestamp, Unix milliseconds.</summary>
    public long Timestamp { get; } = Timestamp;

    /// <summary>Why the adapter could not read the record, or <see langword="null"/>.</summary>
    public string? Error { get; } = Error;
}
