using System.Globalization;
using StreamKit.State;

namespace StreamKit.Files;

/// <summary>
/// Writes a pipeline's output to rolling files that become visible only at checkpoints, so output is exactly once
/// relative to checkpoints and a crash never leaves a half-written file that looks finished.
/// </summary>
/// <remarks>
/// <para>Records go to <c>{prefix}-{n}{ext}.inprogress</c>. A file is closed when it passes the size or age limit and at
/// every flush (the runner flushes before each checkpoint); closed files are renamed to their final name only in
/// <see cref="CommitAsync"/>, after the checkpoint that covers them is saved. The list of closed-but-unpublished
/// files is part of the checkpoint: a restore publishes the ones a crash left behind and deletes any other
/// in-progress file of this prefix, whose records will be replayed.</para>
/// <para>Used without a runner, <see cref="DisposeAsync"/> publishes everything written. Not thread-safe.</para>
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed class FileSink<T> : IRecordSink<T>, ITransactionalSink, ICheckpointed, IAsyncDisposable
{
    private const int StateVersion = 1;
    private const string InProgress = ".inprogress";
    private static readonly System.Buffers.SearchValues<char> s_digits = System.Buffers.SearchValues.Create("0123456789");
    private readonly FileSinkOptions<T> _options;
    private readonly string _directory;
    private readonly List<string> _closed = []; // final paths whose in-progress file is complete
    private readonly List<string> _published = [];
    private FileStream? _file;
    private IFileRecordWriter<T>? _writer;
    private string? _current;
    private long _opened;
    private long _sequence;
    private bool _swept;

    /// <summary>Creates the sink; nothing is written until the first record.</summary>
    public FileSink(FileSinkOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.Directory);
        ArgumentNullException.ThrowIfNull(options.Format);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.MaxFileBytes);
        _options = options;
        _directory = Path.GetFullPath(options.Directory);
        Directory.CreateDirectory(_directory);

        // Number after what earlier runs published, so a fresh start never overwrites their output. (In-progress
        // leftovers don't count: a restore decides about them, or the first commit sweeps them.)
        foreach (var path in Directory.GetFiles(_directory, _options.Prefix + "-*"))
        {
            if (!path.EndsWith(InProgress, StringComparison.Ordinal) && SequenceOf(Path.GetFileName(path)) is { } sequence)
            {
                _sequence = Math.Max(_sequence, sequence + 1);
            }
        }
    }

    /// <summary>Files published so far by this sink instance.</summary>
    public IReadOnlyList<string> Published => _published;

    /// <inheritdoc />
    public void Write(ReadOnlySpan<T> records)
    {
        if (records.IsEmpty)
        {
            return;
        }

        if (_writer is null)
        {
            Open();
        }

        _writer!.Write(records);

        // Position, not Length: it counts what the FileStream still buffers, and asks the OS nothing.
        if (_file!.Position >= _options.MaxFileBytes || _options.TimeProvider.GetElapsedTime(_opened) >= _options.MaxFileAge)
        {
            Close();
        }
    }

    /// <inheritdoc />
    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        Close();
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(CancellationToken cancellationToken = default)
    {
        foreach (var path in _closed)
        {
            Publish(path);
        }

        _closed.Clear();
        if (!_swept)
        {
            // By the first commit any restore has happened, so in-progress files that are not this run's own are
            // leftovers of a run that crashed before its first checkpoint: nothing will ever publish them.
            _swept = true;
            DeleteStale(keep: _current is null ? null : _current + InProgress);
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteInt32(StateVersion);
        writer.WriteInt64(_sequence);
        writer.WriteInt32(_closed.Count);
        foreach (var path in _closed)
        {
            writer.WriteString(Path.GetFileName(path));
        }
    }

    /// <inheritdoc />
    public void ReadState(ref StateReader reader)
    {
        reader.Expect(StateVersion, "file sink state version");
        _sequence = reader.ReadInt64();
        var count = reader.ReadCount();
        for (var i = 0; i < count; i++)
        {
            var path = Path.Combine(_directory, reader.ReadString());
            Publish(path); // saved as prepared, but the crash came before the rename
        }

        DiscardCurrent();
        DeleteStale(keep: null); // written after the checkpoint: their records are replayed
        _closed.Clear();
        _swept = true;
    }

    /// <summary>Closes the current file and publishes every closed file (for use without checkpoints).</summary>
    public async ValueTask DisposeAsync()
    {
        await FlushAsync().ConfigureAwait(false);
        await CommitAsync().ConfigureAwait(false);
    }

    private void Open()
    {
        _current = Path.Combine(_directory, string.Create(CultureInfo.InvariantCulture, $"{_options.Prefix}-{_sequence++:D6}{_options.Format.Extension}"));
        _file = new FileStream(_current + InProgress, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = _options.Format.Create(_file);
        _opened = _options.TimeProvider.GetTimestamp();
    }

    private void Close()
    {
        if (_writer is null)
        {
            return;
        }

        _writer.Flush();
        _writer.Dispose();
        _file!.Flush(flushToDisk: true);
        _file.Dispose();
        _closed.Add(_current!);
        _writer = null;
        _file = null;
        _current = null;
    }

    private void DiscardCurrent()
    {
        if (_writer is null)
        {
            return;
        }

        _writer.Dispose();
        _file!.Dispose();
        File.Delete(_current + InProgress);
        _writer = null;
        _file = null;
        _current = null;
    }

    private void DeleteStale(string? keep)
    {
        foreach (var stale in Directory.GetFiles(_directory, _options.Prefix + "-*" + InProgress))
        {
            if (stale != keep && IsOwnFile(Path.GetFileName(stale)))
            {
                File.Delete(stale);
            }
        }
    }

    /// <summary>Whether <paramref name="name"/> is <c>{Prefix}-{digits}{Extension}.inprogress</c>: another sink's prefix may start with this one's (<c>part</c>, <c>part-late</c>).</summary>
    private bool IsOwnFile(string name) => name.EndsWith(InProgress, StringComparison.Ordinal) && SequenceOf(name) is not null;

    /// <summary>The sequence number of <c>{Prefix}-{digits}{Extension}</c>, optionally <c>.inprogress</c>; <see langword="null"/> for other names.</summary>
    private long? SequenceOf(string name)
    {
        var stem = name.EndsWith(InProgress, StringComparison.Ordinal) ? name[..^InProgress.Length] : name;
        var prefix = _options.Prefix.Length + 1;
        var extension = _options.Format.Extension;
        if (stem.Length <= prefix + extension.Length
            || !stem.StartsWith(_options.Prefix + "-", StringComparison.Ordinal)
            || !stem.EndsWith(extension, StringComparison.Ordinal))
        {
            return null;
        }

        var digits = stem.AsSpan(prefix, stem.Length - prefix - extension.Length);
        return digits.ContainsAnyExcept(s_digits) || !long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            ? null
            : sequence;
    }

    private void Publish(string path)
    {
        if (File.Exists(path + InProgress))
        {
            File.Move(path + InProgress, path, overwrite: true);
        }

        if (File.Exists(path))
        {
            _published.Add(path);
        }
    }
}
