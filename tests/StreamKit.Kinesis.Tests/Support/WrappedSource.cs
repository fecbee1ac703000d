using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.Testing;

namespace StreamKit.Kinesis.Tests.Support;

/// <summary>Wraps a source to record what it hands out and to crash (no final checkpoint) at a chosen point.</summary>
public sealed class WrappedSource(IRecordSource inner) : IRecordSource
{
    private int _reads;
    private int _commits;

    public string Name => inner.Name;

    /// <summary>Throw <see cref="SimulatedCrashException"/> on this read (1-based), before reading.</summary>
    public int CrashOnRead { get; set; }

    /// <summary>Throw on this commit (1-based): the runner has saved its state, the source has not.</summary>
    public int CrashOnCommit { get; set; }

    /// <summary>Every non-empty or end-of-partition batch: (partition, record count, first and last position, end).</summary>
    public List<(string Partition, int Count, long First, long Last, bool End)> Batches { get; } = [];

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) =>
        inner.SeekAsync(positions, cancellationToken);

    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        if (++_reads == CrashOnRead)
        {
            throw new SimulatedCrashException();
        }

        var more = await inner.ReadAsync(batch, cancellationToken);
        if (batch.Count > 0 || batch.EndOfPartition)
        {
            lock (Batches)
            {
                Batches.Add((batch.Partition, batch.Count, batch.Count > 0 ? batch[0].Position : 0, batch.Count > 0 ? batch[batch.Count - 1].Position : 0, batch.EndOfPartition));
            }
        }

        return more;
    }

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) =>
        ++_commits == CrashOnCommit ? throw new SimulatedCrashException() : inner.CommitAsync(positions, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
