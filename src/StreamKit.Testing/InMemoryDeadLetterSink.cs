using System.Text;
using StreamKit.Runtime;

namespace StreamKit.Testing;

/// <summary>A dead-letter sink that keeps a copy of every letter, for assertions.</summary>
/// <remarks>
/// <see cref="Letters"/> holds everything written; <see cref="Flushed"/> only what was written before the last
/// <see cref="FlushAsync"/>, which is what a durable sink would still hold after a crash (see <see cref="DropUnflushed"/>).
/// Not thread-safe: the runner writes on its processing thread.
/// </remarks>
public sealed class InMemoryDeadLetterSink : IDeadLetterSink
{
    private readonly List<CapturedDeadLetter> _letters = [];
    private int _flushed;

    /// <summary>Every letter written so far, in order.</summary>
    public IReadOnlyList<CapturedDeadLetter> Letters => _letters;

    /// <summary>The letters written before the last flush.</summary>
    public IReadOnlyList<CapturedDeadLetter> Flushed => _letters.GetRange(0, _flushed);

    /// <summary>How many times the sink was flushed.</summary>
    public int FlushCount { get; private set; }

    /// <inheritdoc />
    public void Write(in DeadLetter letter) =>
        _letters.Add(new CapturedDeadLetter(letter.Source, letter.Partition, letter.Position, letter.Reason, letter.Payload.ToArray(), letter.Key.ToArray(), letter.Timestamp) { Sequence = letter.Sequence });

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        _flushed = _letters.Count;
        FlushCount++;
        return ValueTask.CompletedTask;
    }

    /// <summary>Forgets the letters written since the last flush, as a crash would.</summary>
    public void DropUnflushed() => _letters.RemoveRange(_flushed, _letters.Count - _flushed);

    /// <summary>Forgets everything.</summary>
    public void Clear()
    {
        _letters.Clear();
        _flushed = 0;
    }
}

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
