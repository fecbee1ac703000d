namespace StreamKit.Codecs;

/// <summary>One line read by <see cref="JsonLineReader{T}"/>: a decoded record, or why the line was rejected.</summary>
/// <remarks>
/// A rejected line carries what a dead-letter sink needs (raw bytes, position, reason), e.g.
/// <c>deadLetters.Write(new DeadLetter("memory", "0", line.Position, line.Error, line.Raw, default, 0))</c>.
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public readonly ref struct JsonLine<T>
    where T : struct
{
    internal JsonLine(T record, string? error, long position, ReadOnlySpan<byte> raw)
    {
        Record = record;
        Error = error;
        Position = position;
        Raw = raw;
    }

    /// <summary>Whether the line decoded: <see cref="Record"/> holds it and <see cref="Error"/> is <see langword="null"/>.</summary>
    public bool IsValid => Error is null;

    /// <summary>The decoded record; <c>default</c> for a rejected line.</summary>
    public T Record { get; }

    /// <summary>Why the line was rejected, or <see langword="null"/>.</summary>
    public string? Error { get; }

    /// <summary>The byte offset where the line starts in the input, as a file source reports a record's position.</summary>
    public long Position { get; }

    /// <summary>The line's bytes without its line end; valid as long as the input is.</summary>
    public ReadOnlySpan<byte> Raw { get; }
}
