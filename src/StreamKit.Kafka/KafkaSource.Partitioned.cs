using System.Diagnostics;
using Confluent.Kafka;
using StreamKit.Records;

namespace StreamKit.Kafka;

// Per-partition reading for KafkaPartitionedRunner: one reader per partition instead of the round-robin ReadAsync.
public sealed partial class KafkaSource
{
    /// <summary>
    /// Switches the source to per-partition reading: <paramref name="assigned"/> runs on the consume thread after an
    /// assignment is registered, <paramref name="revoking"/> on the consume thread before revoked partitions' buffers are
    /// dropped (it may block: the partitions stay assigned, and commits for them go through, until it returns).
    /// </summary>
    internal void UsePartitionReaders(Action<List<TopicPartition>> assigned, Action<List<TopicPartitionOffset>> revoking)
    {
        if (_loop.Started)
        {
            throw new InvalidOperationException("Partition readers must be set before reading starts.");
        }

        _assigner.PartitionsAssigned = assigned;
        _assigner.PartitionsRevoking = revoking;
    }

    /// <summary>
    /// Bounded group runs: the end offset (high watermark) of every non-empty partition of the topics, read now, at
    /// start, by partition name: what the whole group must have read before this instance may leave.
    /// </summary>
    internal Task<Dictionary<string, long>> ObserveEndOffsetsAsync() => _assigner.ObserveEndOffsetsAsync();

    /// <summary>Bounded mode: the end offset <paramref name="partition"/> is read to, or -1 when not known here.</summary>
    internal long EndOffsetOf(string partition)
    {
        lock (_handoff.Gate)
        {
            return _handoff.TryGet(partition, out var buffer) ? buffer.End : -1;
        }
    }

    /// <summary>Starts the consume loop without reading (the partition readers read).</summary>
    internal void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _loop.EnsureStarted(Name);
    }

    /// <summary>Rethrows the consume loop's failure, if it failed; <see langword="true"/> while it runs.</summary>
    internal bool CheckRunning()
    {
        lock (_handoff.Gate)
        {
            _handoff.ThrowIfFailedLocked();
            return !_handoff.HasLoopExitedLocked;
        }
    }

    /// <summary>Called while a partition is being revoked, after its runner stopped: prepares it for a later assignment here.</summary>
    /// <remarks>
    /// <para>Forgets what this process handed on: a partitioned runner restores the partition's state from the store, so
    /// the offset last handed to a stopped runner says nothing about what that state holds; the next start comes from
    /// the committed offset alone, which is never past the saved state's position.</para>
    /// </remarks>
    internal void ReleasePartition(string partition) => _offsets.ForgetDelivered(partition);

    /// <summary>Like <see cref="ReadAsync"/>, for one partition's messages only.</summary>
    /// <returns><see langword="false"/> when bounded and the partition is read to its end; an empty batch after the poll interval, or once the partition is revoked.</returns>
    /// <param name="partition">The partition's name.</param>
    /// <param name="batch">Filled with the partition's messages.</param>
    /// <param name="contexts">Receives the trace contexts of the messages handed on (see <see cref="KafkaSourceOptions.ReadTraceContext"/>).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    internal ValueTask<bool> ReadPartitionAsync(string partition, RawRecordBatch batch, List<ActivityContext> contexts, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _handoff.ReadPartitionAsync(partition, batch, contexts, cancellationToken);
    }
}
