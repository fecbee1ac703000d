using System.IO.Compression;

namespace StreamKit.Avro.Container;

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
