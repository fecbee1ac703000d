using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.TestSupport;

/// <summary>Forwards to another source and notifies <see cref="Read"/> after each read returns (empty reads too), so a test re-checks what it waits for as the runner moves.</summary>
public sealed class ObservedSource(IRecordSource inner, Pulse read) : IRecordSource
{
    /// <summary>Notified after each <see cref="ReadAsync"/> returns or throws.</summary>
    public Pulse Read { get; } = read;

    /// <inheritdoc />
    public string Name => inner.Name;

    /// <inheritdoc />
    public IReadOnlyList<string> Partitions => inner.Partitions;

    /// <inheritdoc />
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) =>
        inner.SeekAsync(positions, cancellationToken);

    /// <inheritdoc />
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        try
        {
            return await inner.ReadAsync(batch, cancellationToken);
        }
        finally
        {
            Read.Notify();
        }
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) =>
        inner.CommitAsync(positions, cancellationToken);

    /// <inheritdoc />
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
