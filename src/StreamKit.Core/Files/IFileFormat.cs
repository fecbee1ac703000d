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
