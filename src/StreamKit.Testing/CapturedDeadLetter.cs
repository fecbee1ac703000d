using System.Text;
using StreamKit.Runtime;

namespace StreamKit.Testing;

/// <summary>A copy of a <see cref="DeadLetter"/>, kept by <see cref="InMemoryDeadLetterSink"/>.</summary>
/// <param name="Source">The source's name.</param>
/// <param name="Partition">The partition the record came from.</param>
/// <param name="Position">The record's position in the partition.</param>
/// <param name="Reason">Why it was rejected.</param>
/// <param name="Payload">A copy of its raw bytes.</param>
/// <param name="Key">A copy of its key bytes, or empty.</param>
/// <param name="Timestamp">The source timestamp in epoch milliseconds, or 0.</param>
public sealed record CapturedDeadLetter(string Source, string Partition, long Position, string Reason, byte[] Payload, byte[] Key, long Timestamp)
{
    /// <summary>The platform's sequence number as written, when the position alone does not carry it (Kinesis).</summary>
    public string? Sequence { get; init; }

    /// <summary>The payload decoded as UTF-8, for assertions on text formats.</summary>
    public string PayloadText => Encoding.UTF8.GetString(Payload);
}
