using StreamKit.Codecs;
using StreamKit.State;

namespace StreamKit.Files;

/// <summary>Where a <see cref="FileSink{T}"/> writes and when it starts a new file.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class FileSinkOptions<T>
{
    /// <summary>The output directory (created if missing).</summary>
    public required string Directory { get; set; }

    /// <summary>How records are laid out in a file.</summary>
    public required IFileWriterFormat<T> Format { get; set; }

    /// <summary>The start of every file name: files are <c>{Prefix}-{sequence:D6}{Extension}</c>.</summary>
    /// <value>Defaults to <c>part</c>. Give each sink writing to the same directory its own prefix.</value>
    public string Prefix { get; set; } = "part";

    /// <summary>Start a new file once the current one reaches this size.</summary>
    /// <remarks>
    /// Checked after each batch written, so a file ends within one batch of the limit; a format that buffers blocks
    /// (Avro) counts a block once it is written, so its files may also pass the limit by up to a block.
    /// </remarks>
    /// <value>Defaults to 128 MiB.</value>
    public long MaxFileBytes { get; set; } = 128L << 20;

    /// <summary>Start a new file once the current one is this old (wall clock).</summary>
    /// <value>Defaults to 15 minutes.</value>
    public TimeSpan MaxFileAge { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The wall clock for <see cref="MaxFileAge"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
