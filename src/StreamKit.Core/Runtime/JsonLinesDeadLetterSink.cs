using System.Buffers;
using System.Text.Json;

namespace StreamKit.Runtime;

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
