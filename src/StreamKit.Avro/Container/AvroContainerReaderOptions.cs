namespace StreamKit.Avro.Container;

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
