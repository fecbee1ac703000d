using System.Buffers.Binary;
using System.Globalization;

namespace StreamKit.State;

/// <summary>State in a local directory, one file per key, replaced atomically (write a temporary file, fsync, rename).</summary>
/// <remarks>
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
    public async ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        if (!File.Exists(path))
        {
            return null;
        }

        var bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        if (bytes.Length < HeaderBytes)
        {
            throw new InvalidDataException($"State file '{path}' is truncated.");
        }

        var version = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        return new StoredState(bytes.AsMemory(HeaderBytes), version.ToString(CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default) =>
        ReadVersionAsync(PathOf(key), cancellationToken);

    /// <inheritdoc />
    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        var path = PathOf(key);
        var current = await ReadVersionAsync(path, cancellationToken).ConfigureAwait(false);
        if (current != expectedVersion)
        {
            throw new StateConflictException($"State '{key}' is at version {current ?? "(none)"}, not {expectedVersion ?? "(none)"}.");
        }

        var version = (current is null ? 0 : long.Parse(current, CultureInfo.InvariantCulture)) + 1;
        var temporary = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous))
            {
                var header = new byte[HeaderBytes];
                BinaryPrimitives.WriteInt64LittleEndian(header, version);
                await file.WriteAsync(header, cancellationToken).ConfigureAwait(false);
                await file.WriteAsync(data, cancellationToken).ConfigureAwait(false);
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }

        return version.ToString(CultureInfo.InvariantCulture);
    }

    private static async ValueTask<string?> ReadVersionAsync(string path, CancellationToken cancellationToken)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.Asynchronous);
        var header = new byte[HeaderBytes];
        await file.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
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
