using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Files;

/// <summary>Reads JSON lines (one record per line) from one file, a directory, or a glob, optionally gzip-compressed.</summary>
/// <remarks>
/// <para>Each file is a partition named by its full path; a record's position is the byte offset of its line in the
/// (decompressed) file, so a restart resumes mid-file. Files are read in name order, one after another, through
/// System.IO.Pipelines: a line is copied once, from the pipe's buffer into the batch. Blank lines are skipped and a
/// trailing <c>\r</c> is removed. A line longer than <see cref="MaxRecordBytes"/> is handed on with a framing
/// error (the runner dead-letters its first <see cref="MaxRecordBytes"/> bytes) and reading continues after it.</para>
/// <para>Bounded: <see cref="ReadAsync"/> returns <see langword="false"/> after the last file. Files ending in <c>.gz</c>
/// are decompressed.</para>
/// </remarks>
public sealed class JsonLinesFileSource : IRecordSource
{
    private readonly string[] _files;
    private IReadOnlyDictionary<string, long> _resume = new Dictionary<string, long>();
    private int _next;
    private Stream? _stream;
    private PipeReader? _reader;
    private string _partition = "";
    private long _offset; // byte offset of the first unconsumed byte in the current file
    private bool _skippingLongLine;

    /// <summary>Creates a source over <paramref name="path"/>: a file, a directory (every file in it), or a pattern such as <c>data/*.jsonl.gz</c>.</summary>
    /// <exception cref="FileNotFoundException">Nothing matches.</exception>
    public JsonLinesFileSource(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _files = Resolve(path);
        Name = path;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The longest line accepted, in bytes.</summary>
    /// <value>Defaults to 1 MiB.</value>
    public int MaxRecordBytes { get; init; } = 1 << 20;

    /// <summary>The files this source reads, in order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <inheritdoc />
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        _resume = positions;
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        while (true)
        {
            if (_reader is null && !await OpenNextAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            batch.Partition = _partition;
            var result = await _reader!.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var consumed = Frame(ref buffer, result.IsCompleted, batch);

            // A full batch leaves whole lines unread: mark only what was consumed as examined, or the next read would
            // wait for more bytes instead of returning them.
            _reader.AdvanceTo(consumed, batch.IsFull ? consumed : buffer.End);
            if (result.IsCompleted && buffer.Slice(consumed).IsEmpty)
            {
                await CloseAsync().ConfigureAwait(false);
            }

            if (batch.Count > 0)
            {
                return true;
            }
        }
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    public ValueTask DisposeAsync() => CloseAsync();

    private SequencePosition Frame(ref ReadOnlySequence<byte> buffer, bool isCompleted, RawRecordBatch batch)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (!batch.IsFull)
        {
            var start = reader.Position;
            var lineOffset = _offset + reader.Consumed;
            if (reader.TryReadTo(out ReadOnlySequence<byte> line, (byte)'\n'))
            {
                if (_skippingLongLine)
                {
                    _skippingLongLine = false; // the tail of a line already dead-lettered
                    continue;
                }

                Add(batch, line, lineOffset, error: line.Length > MaxRecordBytes ? OversizeReason(line.Length) : null);
                continue;
            }

            var rest = buffer.Slice(start);
            if (isCompleted && !rest.IsEmpty)
            {
                // The last line has no newline: it is still a record.
                reader.AdvanceToEnd();
                if (!_skippingLongLine)
                {
                    Add(batch, rest, lineOffset, error: rest.Length > MaxRecordBytes ? OversizeReason(rest.Length) : null);
                }

                _skippingLongLine = false;
            }
            else if (rest.Length > MaxRecordBytes && !_skippingLongLine)
            {
                // A line longer than the limit: hand on its head with an error and drop the rest as it arrives.
                Add(batch, rest.Slice(0, MaxRecordBytes), lineOffset, OversizeReason(rest.Length));
                reader.AdvanceToEnd();
                _skippingLongLine = true;
            }
            else if (_skippingLongLine)
            {
                reader.AdvanceToEnd();
            }

            break;
        }

        _offset += reader.Consumed;
        return reader.Position;
    }

    private void Add(RawRecordBatch batch, ReadOnlySequence<byte> line, long offset, string? error)
    {
        if (_resume.TryGetValue(_partition, out var applied) && offset <= applied)
        {
            return; // before the checkpoint: the runner would skip it anyway, so don't copy it
        }

        if (error is null && line.Length > 0 && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        if (error is null && IsBlank(line))
        {
            return;
        }

        if (line.IsSingleSegment)
        {
            batch.Add(line.FirstSpan, default, offset, 0, error);
            return;
        }

        var copy = ArrayPool<byte>.Shared.Rent((int)line.Length);
        line.CopyTo(copy);
        batch.Add(copy.AsSpan(0, (int)line.Length), default, offset, 0, error);
        ArrayPool<byte>.Shared.Return(copy);
    }

    private static bool IsBlank(ReadOnlySequence<byte> line)
    {
        foreach (var segment in line)
        {
            if (segment.Span.IndexOfAnyExcept(" \t"u8) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private string OversizeReason(long length) => $"line of {length}+ bytes exceeds the {MaxRecordBytes}-byte limit";

    private async ValueTask<bool> OpenNextAsync(CancellationToken cancellationToken)
    {
        if (_next >= _files.Length)
        {
            return false;
        }

        var path = _files[_next++];
        _partition = path;
        _offset = 0;
        _skippingLongLine = false;
        Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        _stream = stream;
        if (_resume.TryGetValue(path, out var applied) && applied >= 0)
        {
            // Resume at the last applied line; it is skipped as already applied.
            if (stream.CanSeek)
            {
                stream.Seek(applied, SeekOrigin.Begin);
            }
            else
            {
                await DiscardAsync(stream, applied, cancellationToken).ConfigureAwait(false);
            }

            _offset = applied;
        }

        _reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        return true;
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

    private async ValueTask CloseAsync()
    {
        if (_reader is not null)
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
            _reader = null;
        }

        if (_stream is not null)
        {
            await _stream.DisposeAsync().ConfigureAwait(false);
            _stream = null;
        }
    }

    private static string[] Resolve(string path)
    {
        string[] files;
        if (Directory.Exists(path))
        {
            files = Directory.GetFiles(path);
        }
        else if (path.Contains('*', StringComparison.Ordinal) || path.Contains('?', StringComparison.Ordinal))
        {
            var directory = Path.GetDirectoryName(path);
            directory = string.IsNullOrEmpty(directory) ? "." : directory;
            files = Directory.Exists(directory) ? Directory.GetFiles(directory, Path.GetFileName(path)) : [];
        }
        else
        {
            files = File.Exists(path) ? [path] : [];
        }

        if (files.Length == 0)
        {
            throw new FileNotFoundException($"No input file matches '{path}'.", path);
        }

        for (var i = 0; i < files.Length; i++)
        {
            files[i] = Path.GetFullPath(files[i]);
        }

        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }
}
