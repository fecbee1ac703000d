namespace StreamKit.Records;

/// <summary>A view of one undecoded record in a <see cref="RawRecordBatch"/>.</summary>
/// <param name="Value">The payload bytes.</param>
/// <param name="Key">The key bytes, or empty.</param>
/// <param name="Position">The record's position in its partition.</param>
/// <param name="Timestamp">The source timestamp in Unix epoch milliseconds, or 0.</param>
/// <param name="Error">A framing error reported by the source, or <see langword="null"/>.</param>
/// <param name="Headers">The record's headers; empty unless the source carries them (Kafka with <c>IncludeHeaders</c>).</param>
public readonly ref struct RawRecord(ReadOnlySpan<byte> Value, ReadOnlySpan<byte> Key, long Position, long Timestamp, string? Error, RecordHeaders Headers = default)
{
    /// <summary>The payload bytes.</summary>
    public ReadOnlySpan<byte> Value { get; } = Value;

    /// <summary>The key bytes, or empty.</summary>
    public ReadOnlySpan<byte> Key { get; } = Key;

    /// <summary>The record's position in its partition.</summary>
    public long Position { get; } = Position;

    /// <summary>The source timestamp in Unix epoch milliseconds, or 0.</summary>
    public long Timestamp { get; } = Timestamp;

    /// <summary>A framing error reported by the source, or <see langword="null"/>.</summary>
    public string? Error { get; } = Error;

    /// <summary>The record's headers; empty unless the source carries them.</summary>
    public RecordHeaders Headers { get; } = Headers;
}
