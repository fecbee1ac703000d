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
