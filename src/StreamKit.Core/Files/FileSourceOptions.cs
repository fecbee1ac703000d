using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Files;

/// <summary>How a <see cref="FileSource"/> finds and reads its files.</summary>
public sealed class FileSourceOptions
{
    /// <summary>The formats to choose from by file extension (after removing <c>.gz</c>).</summary>
    /// <value>Defaults to JSON lines only; add <c>MessagePackFormat</c> or <c>AvroFormat</c> from their packages.</value>
    public IReadOnlyList<IFileFormat> Formats { get; set; } = [JsonLinesFormat.Instance];

    /// <summary>Read every file with this format, whatever its extension.</summary>
    public IFileFormat? Format { get; set; }

    /// <summary>Whether each file's events are no older than the previous file's (minus the out-of-orderness), e.g. hourly files read in name order.</summary>
    /// <remarks>
    /// By default every file holds the watermark back until it has been opened, since a later file may hold older
    /// events: no window closes before the last file is being read, which keeps all windows of the input in memory.
    /// Set this when files follow each other in time, so windows close as reading goes on.
    /// </remarks>
    public bool FilesInTimeOrder { get; set; }

    /// <summary>The largest record accepted, in bytes; larger ones are dead-lettered.</summary>
    /// <value>Defaults to 1 MiB.</value>
    public int MaxRecordBytes { get; set; } = 1 << 20;
}
