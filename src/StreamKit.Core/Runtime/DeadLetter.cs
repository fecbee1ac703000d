namespace StreamKit.Runtime;

/// <summary>A record that could not be processed, with everything needed to find, inspect and replay it.</summary>
/// <param name="Source">The source's name.</param>
/// <param name="Partition">The partition it came from.</param>
/// <param name="Position">Its position in the partition.</param>
/// <param name="Reason">Why it was rejected.</param>
/// <param name="Payload">Its raw bytes, exactly as received.</param>
/// <param name="Key">Its key bytes, or empty.</param>
/// <param name="Timestamp">The source timestamp in epoch milliseconds, or 0.</param>
public readonly ref struct DeadLetter(string Source, string Partition, long Position, string Reason, ReadOnlySpan<byte> Payload, ReadOnlySpan<byte> Key, long Timestamp)
{
    /// <summary>The source's name.</summary>
    public string Source { get; } = Source;

    /// <summary>The partition it came from.</summary>
    public string Partition { get; } = Partition;

    /// <summary>Its position in the partition; -1 when the platform's sequence number does not fit (see <see cref="Sequence"/>).</summary>
    public long Position { get; } = Position;

    /// <summary>The platform's sequence number as written (a Kinesis sequence number has up to 128 digits), or <see langword="null"/> when <see cref="Position"/> says it all.</summary>
    public string? Sequence { get; init; }

    /// <summary>Why it was rejected.</summary>
    public string Reason { get; } = Reason;

    /// <summary>Its raw bytes, exactly as received; valid only during the call.</summary>
    public ReadOnlySpan<byte> Payload { get; } = Payload;

    /// <summary>Its key bytes, or empty; valid only during the call.</summary>
    public ReadOnlySpan<byte> Key { get; } = Key;

    /// <summary>The source timestamp in epoch milliseconds, or 0.</summary>
    public long Timestamp { get; } = Timestamp;
}
