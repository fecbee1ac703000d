using System.Buffers.Binary;
using System.Globalization;

namespace StreamKit.State;

/// <summary>State in a local directory, one file per key, replaced atomically (write a temporary file, fsync, rename).</summary>
/// <remarks>
/// Its I/O is synchronous behind the async contract: a local file is no faster awaited, and a function's cold start
/// then compiles no async state machines for it.
/// A crash mid-save leaves the previous snapshot intact. The version is a counter in the file's 8-byte header; the
/// conditional check is not atomic across processes, so give each key one writer (one process per partition).
/// Keys become file names: letters, digits, '-', '_' and '.' are kept, anything else is escaped.
/// </remarks>
public sealed class FileStateStore : IStateStore
{
    private const int HeaderBytes = 8;
    private readonly string _directory;

    /// <summary>Creates a store in <paramref name="directory"/>, creating it if needed.</summary>
    public FileStateStore(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        _directory = Path.GetFullPath(directory);
        Directory.CreateDirectory(_directory);
    }

    /// <inheritdoc />
    public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return ValueTask.FromResult<StoredState?>(null);
        }

        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < HeaderBytes)
        {
            throw new InvalidDataException($"State file '{path}' is truncated.");
        }

        var version = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return ValueTask.FromResult<StoredState?>(new StoredState(bytes.AsMemory(HeaderBytes), version.ToString(CultureInfo.InvariantCulture)));
    }

    /// <inheritdoc />
    public ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(ReadVersion(PathOf(key)));
    }

    /// <inheritdoc />
    public ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var path = PathOf(key);
        var current = ReadVersion(path);
        if (current != expectedVersion)
        {
            throw new StateConflictException($"State '{key}' is at version {current ?? "(none)"}, not {expectedVersion ?? "(none)"}.");
        }

        var version = (current is null ? 0 : long.Parse(current, CultureInfo.InvariantCulture)) + 1;
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096))
            {
                Span<byte> header = stackalloc byte[HeaderBytes];
                BinaryPrimitives.WriteInt64LittleEndian(header, version);
                file.Write(header);
                file.Write(data.Span);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return ValueTask.FromResult(version.ToString(CultureInfo.InvariantCulture));
    }

    private static string? ReadVersion(string path)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
        Span<byte> header = stackalloc byte[HeaderBytes];
        file.ReadExactly(header);
        return BinaryPrimitives.ReadInt64LittleEndian(header).ToString(CultureInfo.InvariantCulture);
    }

    private string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        var name = new System.Text.StringBuilder(key.Length + 8);
        foreach (var c in key)
        {
            if (char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')
            {
                name.Append(c);
            }
            else
            {
                name.Append('%').Append(((int)c).ToString("X4", CultureInfo.InvariantCulture));
            }
        }

        return Path.Combine(_directory, name.Append(".state").ToString());
    }
}
