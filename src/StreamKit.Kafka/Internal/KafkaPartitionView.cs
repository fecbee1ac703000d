using System.Diagnostics;
using StreamKit.Diagnostics;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Kafka.Internal;

/// <summary>One partition of a <see cref="KafkaSource"/> as a source of its own, for that partition's runner.</summary>
/// <remarks>
/// Holds one of the shared processing slots from the moment it hands on a non-empty batch until the runner asks for
/// the next one (so the runner's processing and checkpoint happen inside the slot); <see cref="ReleaseSlot"/> gives it
/// back when the runner ends. Called by the runner's thread only.
/// </remarks>
internal sealed class KafkaPartitionView(KafkaSource source, string partition, SemaphoreSlim slots) : IRecordSource, ITraceContextSource
{
    private readonly List<ActivityContext> _contexts = [];
    private bool _holdingSlot;

    public string Name => source.Name;

    /// <remarks>Not needed: nothing but this partition reaches the pipeline, so no other partition can run ahead of it.</remarks>
    public IReadOnlyList<string> Partitions => [];

    /// <remarks>
    /// Nothing to do: a partition starts at the group's committed offset, which a checkpoint commits only after saving
    /// the state that includes it, and the runner skips what the restored state already applied.
    /// </remarks>
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ReleaseSlot();
        _contexts.Clear();
        var more = await source.ReadPartitionAsync(partition, batch, _contexts, cancellationToken).ConfigureAwait(false);
        if (batch.Count > 0)
        {
            // Cancelled here, the batch is not processed; the partition's next owner reads it again from the committed offset.
            await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            _holdingSlot = true;
        }

        return more;
    }

    public void CopyTraceContexts(List<ActivityContext> contexts) => contexts.AddRange(_contexts);

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) =>
        source.CommitAsync(positions, cancellationToken);

    public void ReleaseSlot()
    {
        if (_holdingSlot)
        {
            _holdingSlot = false;
            slots.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        ReleaseSlot();
        return ValueTask.CompletedTask;
    }
}
