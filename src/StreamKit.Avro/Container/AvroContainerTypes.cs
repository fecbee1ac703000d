using System.IO.Compression;

namespace StreamKit.Avro.Container;

/// <summary>The block compression codecs of an object container file.</summary>
public enum AvroCodec
{
    /// <summary>Blocks are stored uncompressed (<c>avro.codec</c> = <c>null</c>).</summary>
    Null,

    /// <summary>Blocks are raw deflate (RFC 1951, no zlib header) (<c>avro.codec</c> = <c>deflate</c>).</summary>
    Deflate,
}

/// <summary>What <see cref="AvroContainerReader.Read"/> produced.</summary>
public enum AvroReadStatus
{
    /// <summary>A record's bytes and position.</summary>
    Record,

    /// <summary>The end of the file; every later call returns this too.</summary>
    EndOfFile,

    /// <summary>A malformed block was dropped (see <see cref="AvroContainerReader.LastError"/>); reading continues at the next sync marker.</summary>
    Corrupt,
}

/// <summary>Where a record sits in a container file, for checkpoints: pass it to <see cref="AvroContainerReader.Seek"/> to resume there.</summary>
/// <param name="BlockIndex">The block's zero-based index in the file (after a corrupt region, the count of blocks read so far).</param>
/// <param name="BlockOffset">The byte offset of the block's first byte (its record count), from where the file starts.</param>
/// <param name="RecordIndex">The record's zero-based index within its block.</param>
public readonly record struct AvroRecordPosition(long BlockIndex, long BlockOffset, long RecordIndex);

/// <summary>Options for <see cref="AvroContainerWriter"/>.</summary>
public sealed class AvroContainerWriterOptions
{
    /// <summary>The block codec.</summary>
    /// <value>Defaults to <see cref="AvroCodec.Null"/>.</value>
    public AvroCodec Codec { get; init; } = AvroCodec.Null;

    /// <summary>The uncompressed bytes after which a block is written out.</summary>
    /// <value>Defaults to 64 KiB. Larger blocks compress better; smaller ones lose less to a corrupt block.</value>
    public int BlockSize { get; init; } = 64 * 1024;

    /// <summary>The deflate compression level.</summary>
    /// <value>Defaults to <see cref="CompressionLevel.Fastest"/>.</value>
    public CompressionLevel CompressionLevel { get; init; } = CompressionLevel.Fastest;

    /// <summary>A fixed 16-byte sync marker, for reproducible output (golden files); <see langword="null"/> draws a random one.</summary>
    /// <value>Defaults to <see langword="null"/>. A random marker is what the specification expects in production.</value>
    public byte[]? SyncMarker { get; init; }

    /// <summary>Extra header metadata; keys starting with <c>avro.</c> are reserved and rejected.</summary>
    /// <value>Defaults to none.</value>
    public IReadOnlyDictionary<string, byte[]>? Metadata { get; init; }

    /// <summary>Whether disposing the writer leaves the stream open.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool LeaveOpen { get; init; }
}

/// <summary>Options for <see cref="AvroContainerReader"/>.</summary>
public sealed class AvroContainerReaderOptions
{
    /// <summary>The largest block (compressed or inflated) the reader accepts; a larger one is reported corrupt.</summary>
    /// <value>Defaults to 64 MiB, bounding memory against corrupt sizes and decompression bombs.</value>
    public int MaxBlockSize { get; init; } = 64 * 1024 * 1024;

    /// <summary>The largest header (metadata and schema) accepted.</summary>
    /// <value>Defaults to 16 MiB.</value>
    public int MaxHeaderSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Whether disposing the reader leaves the stream open.</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool LeaveOpen { get; init; }
}
