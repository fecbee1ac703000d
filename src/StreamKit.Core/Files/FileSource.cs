using System.IO.Compression;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Files;

/// <summary>Reads records from one file, a directory, or a glob, in JSON lines, MessagePack or Avro, optionally gzip-compressed.</summary>
/// <remarks>
/// <para>Each file is a partition named by its full path, read in name order. A record's position is its place in the
/// file (byte offset, or Avro block and index), so a restart resumes mid-file; a finished file's last position
/// stays in the checkpoint, so it is not read again. Files ending in <c>.gz</c> are decompressed (resuming one
/// re-reads it up to the position).</para>
/// <para>Bounded: <see cref="ReadAsync"/> returns <see langword="false"/> after the last file.</para>
/// <para>Bad records are handed on with their error, to be dead-lettered. Damage that leaves nothing to read past — an
/// Avro header that cannot be parsed, a corrupt gzip stream — makes <see cref="ReadAsync"/> throw an
/// <see cref="InvalidDataException"/> that names the file.</para>
/// </remarks>
public sealed class FileSource : IRecordSource
{
    private readonly string[] _files;
    private readonly FileSourceOptions _options;
    private Dictionary<string, long> _resume = [];
    private int _next;
    private IFileRecordReader? _current;
    private string _partition = "";

    /// <summary>Creates a source over <paramref name="path"/>: a file, a directory (every file in it), or a pattern such as <c>data/*.jsonl.gz</c>.</summary>
    /// <exception cref="FileNotFoundException">Nothing matches.</exception>
    /// <exception cref="NotSupportedException">A file's extension matches no format and none is forced.</exception>
    public FileSource(string path, FileSourceOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        _options = options ?? new FileSourceOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.MaxRecordBytes);
        _files = Resolve(path);
        if (Directory.Exists(path))
        {
            // A directory holds whatever lands there (dead letters, markers): read only the files a format claims.
            _files = Array.FindAll(_files, file => TryFormatOf(file) is not null);
            if (_files.Length == 0)
            {
                throw new FileNotFoundException($"No file in '{path}' has an extension a configured format reads.", path);
            }
        }

        foreach (var file in _files)
        {
            FormatOf(file);
        }

        Name = path;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The files this source reads, in order.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <inheritdoc />
    /// <remarks>Every file, unless <see cref="FileSourceOptions.FilesInTimeOrder"/> says they follow each other in time.</remarks>
    public IReadOnlyList<string> Partitions => _options.FilesInTimeOrder ? [] : _files;

    /// <summary>The format <paramref name="path"/> would be read with.</summary>
    /// <exception cref="NotSupportedException">No format claims the extension.</exception>
    public IFileFormat FormatOf(string path) =>
        TryFormatOf(path) ?? throw new NotSupportedException($"No file format reads '{Path.GetFileName(path)}': set FileSourceOptions.Format or add a format for its extension.");

    private IFileFormat? TryFormatOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (_options.Format is { } forced)
        {
            return forced;
        }

        var name = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
        foreach (var format in _options.Formats)
        {
            foreach (var extension in format.Extensions)
            {
                if (name.EndsWith(extension, StringComparison.OrdinalIgnoreCase))
                {
                    return format;
                }
            }
        }

        return null;
    }

    /// <inheritdoc />
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        _resume = new Dictionary<string, long>(positions); // a snapshot: the runner keeps updating its own
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidDataException">A file is damaged beyond its format's recovery (see remarks); the message names it.</exception>
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        while (true)
        {
            if (_current is null && !await OpenNextAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            batch.Partition = _partition;
            bool more;
            try
            {
                more = await _current!.ReadAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (InvalidDataException ex)
            {
                // Damage no reader can step over (a corrupt gzip stream): name the file, or the error is anonymous.
                throw Unreadable(_partition, ex);
            }

            if (!more)
            {
                await _current.DisposeAsync().ConfigureAwait(false);
                _current = null;
                batch.EndOfPartition = true; // possibly an empty batch: the runner still learns the file has ended
                return true;
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
    public async ValueTask DisposeAsync()
    {
        if (_current is not null)
        {
            await _current.DisposeAsync().ConfigureAwait(false);
            _current = null;
        }
    }

    private async ValueTask<bool> OpenNextAsync(CancellationToken cancellationToken)
    {
        if (_next >= _files.Length)
        {
            return false;
        }

        var path = _files[_next++];
        _partition = path;
        Stream stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        if (path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        try
        {
            _current = FormatOf(path).Open(stream, _options.MaxRecordBytes);
            if (_resume.TryGetValue(path, out var applied))
            {
                await _current.SeekAsync(applied, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            await (_current ?? (IAsyncDisposable)stream).DisposeAsync().ConfigureAwait(false);
            _current = null;
            if (ex is InvalidDataException invalid)
            {
                throw Unreadable(path, invalid); // an unreadable header (Avro): the file has no records to offer
            }

            throw;
        }

        return true;
    }

    private InvalidDataException Unreadable(string path, InvalidDataException inner) =>
        new($"Cannot read '{path}' as {FormatOf(path).Name}: {inner.Message}", inner);

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
