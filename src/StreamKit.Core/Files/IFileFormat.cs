using StreamKit.Records;

namespace StreamKit.Files;

/// <summary>A file format a <see cref="FileSource"/> can read: how one file's bytes are cut into records.</summary>
/// <remarks>
/// Core ships <see cref="JsonLinesFormat"/>; StreamKit.MessagePack and StreamKit.Avro add theirs. A format is
/// stateless and shared; <see cref="Open"/> makes a reader per file.
/// </remarks>
public interface IFileFormat
{
    /// <summary>A short name for logs and errors (<c>jsonl</c>, <c>msgpack</c>, <c>avro</c>).</summary>
    string Name { get; }

    /// <summary>The file name endings this format claims, with the dot (<c>.jsonl</c>); a trailing <c>.gz</c> is removed before matching.</summary>
    IReadOnlyList<string> Extensions { get; }

    /// <summary>Starts reading one file.</summary>
    /// <param name="stream">The file's bytes, already decompressed; seekable when the file is not compressed.</param>
    /// <param name="maxRecordBytes">The largest record to accept; larger ones are handed on with a framing error.</param>
    IFileRecordReader Open(Stream stream, int maxRecordBytes);
}

/// <summary>Reads the records of one file, in order, each with a position that increases through the file.</summary>
/// <remarks>Positions are what checkpoints store: a restart calls <see cref="SeekAsync"/> with the last applied one.</remarks>
public interface IFileRecordReader : IAsyncDisposable
{
    /// <summary>Continues after <paramref name="position"/>: records at or before it are not delivered again.</summary>
    ValueTask SeekAsync(long position, CancellationToken cancellationToken = default);

    /// <summary>Adds records to <paramref name="batch"/> until it is full or the file ends.</summary>
    /// <returns><see langword="false"/> once the file has no more records (the batch may still have received some).</returns>
    ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default);
}
