using System.Diagnostics;
using Confluent.Kafka;
using Confluent.Kafka.Admin;
using StreamKit.Kafka.Internal;
using StreamKit.Records;

namespace StreamKit.Kafka;

// Per-partition reading for KafkaPartitionedRunner: one reader per partition instead of the round-robin ReadAsync.
public sealed partial class KafkaSource
{
    // Guarded by _gate. A reader waits on its partition's semaphore; the consume thread releases it (at most once per wait).
    private readonly Dictionary<PartitionBuffer, PartitionWaiter> _partitionWaiters = [];
    private int _partitionReadersWaiting;
    private Action<List<TopicPartition>>? _partitionsAssigned;
    private Action<List<TopicPartitionOffset>>? _partitionsRevoking;
    private Dictionary<TopicPartition, long>? _groupEnds;

    /// <summary>
    /// Switches the source to per-partition reading: <paramref name="assigned"/> runs on the consume thread after an
    /// assignment is registered, <paramref name="revoking"/> on the consume thread before revoked partitions' buffers are
    /// dropped (it may block: the partitions stay assigned, and commits for them go through, until it returns).
    /// </summary>
    internal void UsePartitionReaders(Action<List<TopicPartition>> assigned, Action<List<TopicPartitionOffset>> revoking)
    {
        if (_thread is not null)
        {
            throw new InvalidOperationException("Partition readers must be set before reading starts.");
        }

        _partitionsAssigned = assigned;
        _partitionsRevoking = revoking;
    }

    /// <summary>
    /// Bounded group runs: notes the end offset of every partition of the topics now, at start, so that
    /// <see cref="GroupCompletedAsync"/> can tell when the whole group (not just this instance) has read them all.
    /// </summary>
    internal async Task ObserveGroupEndsAsync()
    {
        using var admin = new DependentAdminClientBuilder(_consumer!.Handle).Build();
        var partitions = AllTopicPartitions();
        var options = new ListOffsetsOptions { RequestTimeout = _options.RequestTimeout };
        var earliest = await admin.ListOffsetsAsync(Specs(partitions, OffsetSpec.Earliest()), options).ConfigureAwait(false);
        var latest = await admin.ListOffsetsAsync(Specs(partitions, OffsetSpec.Latest()), options).ConfigureAwait(false);
        var starts = new Dictionary<TopicPartition, long>();
        foreach (var info in earliest.ResultInfos)
        {
            starts[info.TopicPartitionOffsetError.TopicPartition] = info.TopicPartitionOffsetError.Offset.Value;
        }

        var ends = new Dictionary<TopicPartition, long>();
        foreach (var info in latest.ResultInfos)
        {
            var partition = info.TopicPartitionOffsetError.TopicPartition;
            var end = info.TopicPartitionOffsetError.Offset.Value;
            if (end > starts.GetValueOrDefault(partition))
            {
                ends[partition] = end; // empty partitions have nothing to wait for
            }
        }

        _groupEnds = ends;

        static List<TopicPartitionOffsetSpec> Specs(List<TopicPartition> partitions, OffsetSpec spec) =>
            partitions.ConvertAll(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = spec });
    }

    /// <summary>
    /// Whether the group's committed offsets have reached the end offsets noted at start on every partition: the bounded
    /// job is done everywhere. An instance whose own partitions are done keeps its place in the group until then, so
    /// partitions of a member that leaves are reassigned to it instead of being left unread.
    /// </summary>
    internal async Task<bool> GroupCompletedAsync()
    {
        var ends = _groupEnds ?? throw new InvalidOperationException("ObserveGroupEndsAsync was not called.");
        if (ends.Count == 0)
        {
            return true;
        }

        using var admin = new DependentAdminClientBuilder(_consumer!.Handle).Build();
        var results = await admin.ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions(_options.GroupId, [.. ends.Keys])],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = _options.RequestTimeout }).ConfigureAwait(false);
        foreach (var committed in results[0].Partitions)
        {
            // A committed offset is the next to read: at the end offset, everything before it is applied.
            if (ends.TryGetValue(committed.TopicPartition, out var end) && (committed.Offset == Offset.Unset || committed.Offset.Value < end))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Starts the consume loop without reading (the partition readers read).</summary>
    internal void Start()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureStarted();
    }

    /// <summary>Rethrows the consume loop's failure, if it failed; <see langword="true"/> while it runs.</summary>
    internal bool CheckRunning()
    {
        lock (_gate)
        {
            _failure?.Throw();
            return !_loopExited;
        }
    }

    /// <summary>Called while a partition is being revoked, after its runner stopped: prepares it for a later assignment here.</summary>
    /// <remarks>
    /// <para>Forgets what this process handed on: a partitioned runner restores the partition's state from the store, so
    /// the offset last handed to a stopped runner says nothing about what that state holds; the next start comes from
    /// the committed offset alone, which is never past the saved state's position.</para>
    /// </remarks>
    internal void ReleasePartition(string partition)
    {
        lock (_gate)
        {
            if (_byName.TryGetValue(partition, out var buffer))
            {
                buffer.LastDelivered = -1;
            }
        }
    }

    /// <summary>Like <see cref="ReadAsync"/>, for one partition's messages only.</summary>
    /// <returns><see langword="false"/> when bounded and the partition is read to its end; an empty batch after the poll interval, or once the partition is revoked.</returns>
    /// <param name="partition">The partition's name.</param>
    /// <param name="batch">Filled with the partition's messages.</param>
    /// <param name="contexts">Receives the trace contexts of the messages handed on (see <see cref="KafkaSourceOptions.ReadTraceContext"/>).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    internal async ValueTask<bool> ReadPartitionAsync(string partition, RawRecordBatch batch, List<ActivityContext> contexts, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        PartitionWaiter waiter;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            lock (_gate)
            {
                _failure?.Throw();
                var buffer = _byName[partition];
                if (!buffer.Assigned)
                {
                    batch.Partition = partition;
                    return true; // revoked: the runner is being stopped
                }

                if (buffer.Count > 0 || (buffer.Done && !buffer.Ended))
                {
                    MoveLocked(buffer, batch, int.MaxValue, contexts);
                    return true;
                }

                if (_options.Bounded && buffer.Ended)
                {
                    return false;
                }

                if (_loopExited)
                {
                    throw new InvalidOperationException("The Kafka consume loop has stopped.");
                }

                if (!_partitionWaiters.TryGetValue(buffer, out waiter!))
                {
                    waiter = new PartitionWaiter();
                    _partitionWaiters.Add(buffer, waiter);
                }

                waiter.Waiting = true;
                _partitionReadersWaiting++;
            }

            if (!await waiter.Signal.WaitAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    if (waiter.Waiting)
                    {
                        waiter.Waiting = false;
                        _partitionReadersWaiting--;
                    }
                }

                batch.Partition = partition;
                return true; // idle: an empty batch lets the runner close windows
            }
        }
    }

    private void WakePartitionReadersLocked()
    {
        // Wakes every waiting reader, not only the partition that changed: the callers (a dry librdkafka, an end, a
        // rebalance) mostly concern several, and a reader woken for nothing just waits again.
        foreach (var waiter in _partitionWaiters.Values)
        {
            if (waiter.Waiting)
            {
                waiter.Waiting = false;
                _partitionReadersWaiting--;
                waiter.Signal.Release();
            }
        }
    }

    private sealed class PartitionWaiter
    {
        public SemaphoreSlim Signal { get; } = new(0);

        public bool Waiting { get; set; }
    }
}
