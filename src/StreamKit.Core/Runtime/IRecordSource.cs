using StreamKit.Records;

namespace StreamKit.Runtime;

/// <summary>Where raw records come from: a topic, a stream, files. The runner polls it, one partition per batch.</summary>
/// <remarks>
/// Delivery is at least once: after a restart the runner seeks to the positions in the last checkpoint and skips
/// what was already applied, so a source may safely re-deliver. Called from one thread at a time.
/// </remarks>
public interface IRecordSource : IAsyncDisposable
{
    /// <summary>A name for dead letters and logs (e.g. <c>kafka:clicks</c> or a file path).</summary>
    string Name { get; }

    /// <summary>
    /// Partitions the source knows it will read before their first record arrives: each holds the pipeline's
    /// watermark back until it sends data or ends (<see cref="RawRecordBatch.EndOfPartition"/>).
    /// </summary>
    /// <remarks>
    /// A bounded source that reads partitions one after another (files) lists them, so a later file's older events
    /// are not late. Sources whose partitions are read side by side or come and go (Kafka) leave it empty.
    /// </remarks>
    IReadOnlyList<string> Partitions => [];

    /// <summary>Resumes after a restart: each listed partition continues after the given position.</summary>
    /// <param name="positions">The last applied position per partition name, from the checkpoint.</param>
    /// <param name="cancellationToken">Cancels the seek.</param>
    ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default);

    /// <summary>Fills <paramref name="batch"/> with records of one partition (it arrives cleared).</summary>
    /// <returns>
    /// <see langword="false"/> when a bounded source has nothing more; an unbounded one returns <see langword="true"/>
    /// with an empty batch when nothing arrived within its poll interval.
    /// </returns>
    ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default);

    /// <summary>Everything up to these positions is durably processed: the source may acknowledge it (commit offsets, delete files).</summary>
    ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default);
}
