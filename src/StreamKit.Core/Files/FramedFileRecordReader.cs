using System.Buffers;
using System.IO.Pipelines;
using StreamKit.Records;

namespace StreamKit.Files;

/// <summary>
/// Reads a file whose records can be found by looking at the bytes alone (lines, length-prefixed objects) through
/// System.IO.Pipelines: subclasses only say where each record ends.
/// </summary>
/// <remarks>
/// A record's position is the byte offset where it starts. Records are copied once, from the pipe's buffer into
/// the batch (a record straddling two buffer segments is joined in a pooled scratch buffer first). Invalid frames
/// are handed on with their error, so the runner dead-letters them and reading continues.
/// </remarks>
public abstract class FramedFileRecordReader : IFileRecordReader
{
    private readonly Stream _stream;
    private PipeReader? _reader;
    private long _offset; // file offset of the first unconsumed byte
    private long _resumeAfter = long.MinValue;
    private long _discard; // bytes of an invalid frame still to drop as they arrive
    private bool _finished;

    /// <summary>Creates a reader over <paramref name="stream"/>, which it disposes.</summary>
    protected FramedFileRecordReader(Stream stream, int maxRecordBytes)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRecordBytes);
        _stream = stream;
        MaxRecordBytes = maxRecordBytes;
    }

    /// <summary>The largest record accepted.</summary>
    protected int MaxRecordBytes { get; }

    /// <summary>Finds the first frame in <paramref name="buffer"/>, which starts at file offset <paramref name="offset"/>.</summary>
    /// <param name="buffer">The unread bytes (never empty).</param>
    /// <param name="offset">Where <paramref name="buffer"/> starts in the file.</param>
    /// <param name="isFinalBlock">Whether the file has no more bytes: the framer must then decide, not ask for more.</param>
    /// <param name="frame">The frame found.</param>
    protected abstract FrameStatus TryFrame(ReadOnlySequence<byte> buffer, long offset, bool isFinalBlock, out Frame frame);

    /// <inheritdoc />
    public async ValueTask SeekAsync(long position, CancellationToken cancellationToken = default)
    {
        if (_reader is not null)
        {
            throw new InvalidOperationException("Seek before the first read.");
        }

        if (position < 0)
        {
            return;
        }

        if (_stream.CanSeek)
        {
            _stream.Seek(position, SeekOrigin.Begin);
        }
        else
        {
            await DiscardAsync(_stream, position, cancellationToken).ConfigureAwait(false);
        }

        _offset = position;
        _resumeAfter = position; // the record at the position itself was applied
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (_finished)
        {
            return false;
        }

        _reader ??= PipeReader.Create(_stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        while (!batch.IsFull)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var status = FrameStatus.NeedMoreData;
            while (!batch.IsFull)
            {
                if (_discard > 0)
                {
                    var dropped = Math.Min(_discard, buffer.Length);
                    buffer = buffer.Slice(dropped);
                    _offset += dropped;
                    _discard -= dropped;
                }

                if (buffer.IsEmpty)
                {
                    status = FrameStatus.NeedMoreData;
                    break;
                }

                status = TryFrame(buffer, _offset, result.IsCompleted, out var frame);
                if (status == FrameStatus.NeedMoreData)
                {
                    break;
                }

                if (status != FrameStatus.Skip && _offset > _resumeAfter)
                {
                    var length = Math.Min(Math.Min(frame.RecordLength, buffer.Length), MaxRecordBytes);
                    Add(batch, buffer.Slice(0, length), _offset, status == FrameStatus.Invalid ? frame.Error ?? "invalid record" : null);
                }

                var consumed = Math.Max(frame.Consumed, 1);
                var here = Math.Min(consumed, buffer.Length);
                _discard = consumed - here;
                buffer = buffer.Slice(here);
                _offset += here;
            }

            // Mark everything examined only when more bytes are needed; otherwise the next read would wait for
            // new bytes instead of returning the frames still in the buffer.
            _reader.AdvanceTo(buffer.Start, status == FrameStatus.NeedMoreData ? buffer.End : buffer.Start);
            if (result.IsCompleted && status == FrameStatus.NeedMoreData)
            {
                if (!buffer.IsEmpty && _offset > _resumeAfter)
                {
                    Add(batch, buffer.Slice(0, Math.Min(buffer.Length, MaxRecordBytes)), _offset, "truncated record at the end of the file");
                }

                _finished = true;
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_reader is not null)
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
        }

        await _stream.DisposeAsync().ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    private static void Add(RawRecordBatch batch, ReadOnlySequence<byte> record, long position, string? error)
    {
        if (record.IsSingleSegment)
        {
            batch.Add(record.FirstSpan, default, position, 0, error);
            return;
        }

        var joined = ArrayPool<byte>.Shared.Rent((int)record.Length);
        record.CopyTo(joined);
        batch.Add(joined.AsSpan(0, (int)record.Length), default, position, 0, error);
        ArrayPool<byte>.Shared.Return(joined);
    }

    private static async ValueTask DiscardAsync(Stream stream, long count, CancellationToken cancellationToken)
    {
        var scratch = ArrayPool<byte>.Shared.Rent(1 << 16);
        try
        {
            while (count > 0)
            {
                var read = await stream.ReadAsync(scratch.AsMemory(0, (int)Math.Min(count, scratch.Length)), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }

                count -= read;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }
}
