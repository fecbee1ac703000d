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
    /// Bounded group runs: the end offset (high watermark) of every non-empty partition of the topics, read now, at
    /// start, by partition name: what the whole group must have read before this instance may leave.
    /// </summary>
    internal async Task<Dictionary<string, long>> ObserveEndOffsetsAsync()
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

        var ends = new Dictionary<string, long>();
        foreach (var info in latest.ResultInfos)
        {
            var partition = info.TopicPartitionOffsetError.TopicPartition;
            var end = info.TopicPartitionOffsetError.Offset.Value;
            if (end > starts.GetValueOrDefault(partition))
            {
                ends[KafkaPartitionName.Format(partition.Topic, partition.Partition.Value)] = end; // empty ones: nothing to wait for
            }
        }

        return ends;

        static List<TopicPartitionOffsetSpec> Specs(List<TopicPartition> partitions, OffsetSpec spec) =>
            partitions.ConvertAll(p => new TopicPartitionOffsetSpec { TopicPartition = p, OffsetSpec = spec });
    }

    /// <summary>Bounded mode: the end offset <paramref name="partition"/> is read to, or -1 when not known here.</summary>
    internal long EndOffsetOf(string partition)
    {
        lock (_gate)
        {
            return _byName.TryGetValue(partition, out var buffer) ? buffer.End : -1;
        }
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
