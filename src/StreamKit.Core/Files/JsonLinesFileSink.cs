using System.Buffers;
using StreamKit.Codecs;

namespace StreamKit.Files;

/// <summary>Writes a pipeline's output records as JSON lines to a file, through a reused buffer.</summary>
/// <remarks>
/// Records are encoded as they arrive and written to the file when the buffer passes 64 KiB or on
/// <see cref="FlushAsync"/>, which also fsyncs: what was flushed survives a crash, what was not may be partly in the
/// file, and is written again on replay (at-least-once). Not thread-safe. Dispose to close the file.
/// </remarks>
public sealed class JsonLinesFileSink<T> : IRecordSink<T>, IAsyncDisposable
{
    private const int FlushThreshold = 1 << 16;
    private readonly IRecordEncoder<T> _encoder;
    private readonly ArrayBufferWriter<byte> _buffer = new(FlushThreshold * 2);
    private readonly FileStream _file;

    /// <summary>Creates (or truncates, or appends to) <paramref name="path"/> and writes records with <paramref name="encoder"/>.</summary>
    /// <param name="path">The file.</param>
    /// <param name="encoder">Encodes one record as one line.</param>
    /// <param name="append">Keep what the file holds and add to it: one file across function invocations, each its own process.</param>
    public JsonLinesFileSink(string path, IRecordEncoder<T> encoder, bool append = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(encoder);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _encoder = encoder;
        _file = new FileStream(path, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read, 1);
    }

    /// <summary>How many records were written.</summary>
    public long Count { get; private set; }

    /// <inheritdoc />
    public void Write(ReadOnlySpan<T> records)
    {
        foreach (ref readonly var record in records)
        {
            _encoder.Encode(record, _buffer);
        }

        Count += records.Length;
        if (_buffer.WrittenCount >= FlushThreshold)
        {
            _file.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }
    }

    /// <inheritdoc />
    /// <remarks>Writes and fsyncs synchronously: a local file's write is no faster awaited, and no async state machine is compiled at a function's cold start.</remarks>
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Flush();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        Flush();
        _file.Dispose();
        return ValueTask.CompletedTask;
    }

    private void Flush()
    {
        if (_buffer.WrittenCount > 0)
        {
            _file.Write(_buffer.WrittenSpan);
            _buffer.ResetWrittenCount();
        }

        _file.Flush(flushToDisk: true);
    }
}
