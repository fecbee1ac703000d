using System.Buffers;
using System.Text.Json;

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

/// <summary>Receives records that failed to decode or process, so that bad input is kept, not lost.</summary>
/// <remarks>
/// Called on the processing thread; copy what you keep, the spans die with the call. Make writes durable in
/// <see cref="FlushAsync"/>: the runner flushes before each checkpoint, so a dead letter is never committed past
/// without being stored.
/// </remarks>
public interface IDeadLetterSink
{
    /// <summary>Takes one dead letter.</summary>
    void Write(in DeadLetter letter);

    /// <summary>Makes everything written so far durable (or throws).</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// Dead letters as JSON lines in a file: <c>{"time","source","partition","position","reason","key","payload"}</c>
/// with key and payload in base64, one object per line, appended.
/// </summary>
/// <remarks>Flush writes to the OS and fsyncs. Not thread-safe. Dispose to close the file.</remarks>
public sealed class JsonLinesDeadLetterSink : IDeadLetterSink, IDisposable
{
    private readonly FileStream _file;
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly Utf8JsonWriter _writer;
    private readonly TimeProvider _time;

    /// <summary>Opens (or creates) <paramref name="path"/> for appending.</summary>
    public JsonLinesDeadLetterSink(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        _writer = new Utf8JsonWriter(_buffer);
        _time = time ?? TimeProvider.System;
        FilePath = path;
    }

    /// <summary>The file written to.</summary>
    public string FilePath { get; }

    /// <summary>How many dead letters were written.</summary>
    public long Count { get; private set; }

    /// <inheritdoc />
    public void Write(in DeadLetter letter)
    {
        _writer.Reset(_buffer);
        _writer.WriteStartObject();
        _writer.WriteString("time"u8, _time.GetUtcNow());
        _writer.WriteString("source"u8, letter.Source);
        _writer.WriteString("partition"u8, letter.Partition);
        _writer.WriteNumber("position"u8, letter.Position);
        if (letter.Sequence is not null)
        {
            _writer.WriteString("sequence"u8, letter.Sequence);
        }

        _writer.WriteString("reason"u8, letter.Reason);
        if (letter.Timestamp != 0)
        {
            _writer.WriteNumber("timestamp"u8, letter.Timestamp);
        }

        _writer.WriteBase64String("key"u8, letter.Key);
        _writer.WriteBase64String("payload"u8, letter.Payload);
        _writer.WriteEndObject();
        _writer.Flush();
        _buffer.GetSpan(1)[0] = (byte)'\n';
        _buffer.Advance(1);
        Count++;
    }

    /// <inheritdoc />
    /// <remarks>Writes and fsyncs synchronously: a local file's write is no faster awaited, and no async state machine is compiled at a function's cold start.</remarks>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (_buffer.WrittenCount > 0)
        {
            _file.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }

        _file.Flush(flushToDisk: true);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_buffer.WrittenCount > 0)
        {
            _file.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }

        _writer.Dispose();
        _file.Dispose();
    }
}
