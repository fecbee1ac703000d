using StreamKit.Records;

namespace StreamKit.Files;

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
