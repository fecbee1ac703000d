using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamKit.Kafka.Internal;

/// <summary>
/// A <see cref="KafkaSource"/>'s partition assignment: every partition of its topics from the brokers' metadata
/// (<see cref="KafkaAssignment.AllPartitions"/>), or the group's assignments and revocations; each assigned partition
/// is registered with the <see cref="PartitionHandoff"/> and started where the <see cref="OffsetTracker"/> says.
/// </summary>
/// <remarks>Assignments and revocations run on the consume thread (librdkafka calls them from <c>Consume</c>).</remarks>
internal sealed class PartitionAssigner(KafkaSourceOptions options, IConsumer<Staged, Staged> consumer, PartitionHandoff handoff, OffsetTracker offsets)
{
    /// <summary>The "timestamp" that asks ListOffsets for a partition's end offset (Kafka's <c>LATEST</c>, -1).</summary>
    private static readonly Timestamp EndOffsetQuery = new(Offset.End.Value, TimestampType.NotAvailable);

    /// <summary>How long the fetch waits before asking again for a topic that is not there (yet).</summary>
    private static readonly TimeSpan MetadataRetry = TimeSpan.FromMilliseconds(200);

    private readonly Lock _metadataGate = new();
    private List<TopicPartition>? _allPartitions;
    private string[]? _partitionNames;
    private Task? _metadataClientDisposed;

    /// <summary>Bounded with <see cref="KafkaAssignment.AllPartitions"/>: the partitions are known before reading, and listed to the runner.</summary>
    public bool ListsPartitions { get; } = options.Bounded && options.Assignment == KafkaAssignment.AllPartitions;

    /// <summary>Per-partition readers: called on the consume thread after an assignment is registered.</summary>
    public Action<List<TopicPartition>>? PartitionsAssigned { get; set; }

    /// <summary>Per-partition readers: called on the consume thread before revoked partitions' buffers are dropped; may block.</summary>
    public Action<List<TopicPartitionOffset>>? PartitionsRevoking { get; set; }

    /// <summary>Every partition of the topics as <c>topic-partition</c> names, the instances batches carry (fetches metadata on first use).</summary>
    public string[] PartitionNames()
    {
        if (_partitionNames is null)
        {
            var all = AllTopicPartitions();
            lock (handoff.Gate)
            {
                var names = new string[all.Count];
                for (var i = 0; i < names.Length; i++)
                {
                    names[i] = handoff.GetOrAdd(all[i]).Name;
                }

                _partitionNames = names;
            }
        }

        return _partitionNames;
    }

    /// <summary>Waits until the admin client that fetched the topics' metadata is disposed: it shares the consumer's handle, which outlives it.</summary>
    public void WaitForMetadataClient() => _metadataClientDisposed?.Wait();

    /// <summary>Assigns every partition of the topics, without joining the group.</summary>
    public void AssignAll() => consumer.Assign(OnAssigned(AllTopicPartitions()));

    /// <summary>Registers newly assigned partitions and decides where each starts.</summary>
    public List<TopicPartitionOffset> OnAssigned(List<TopicPartition> assigned)
    {
        // Where this process has been before: the checkpoint, or what it already handed to the pipeline.
        var known = new Dictionary<TopicPartition, long>();
        var fresh = new List<PartitionBuffer>();
        lock (handoff.Gate)
        {
            foreach (var tp in assigned)
            {
                var partition = handoff.GetOrAdd(tp);
                var after = offsets.LastAppliedLocked(partition);
                if (after >= 0)
                {
                    known[tp] = after;
                }

                if (options.Bounded && partition.End < 0)
                {
                    fresh.Add(partition);
                }
            }
        }

        // Outside the lock: these are broker round trips.
        // Committed offsets of every partition, not only those with a known position: assigning Offset.Unset would make
        // librdkafka look them up itself, which took about 100 ms longer on the mock broker (measured in the Kafka benchmark).
        var committed = consumer.Committed(assigned, options.RequestTimeout);
        var ends = new Dictionary<TopicPartition, long>();
        if (fresh.Count > 0)
        {
            // The end offsets in one call: the ListOffsets LATEST query of QueryWatermarkOffsets' high watermark (under
            // the consumer's isolation level, as there), but one request per leader, all at once, where
            // QueryWatermarkOffsets sends two per partition (low and high), one partition after the other (measured:
            // 1-20 ms for four partitions on the loaded machine).
            var latest = consumer.OffsetsForTimes(fresh.ConvertAll(p => new TopicPartitionTimestamp(p.TopicPartition, EndOffsetQuery)), options.RequestTimeout);
            foreach (var end in latest)
            {
                ends[end.TopicPartition] = end.Offset.Value;
            }
        }

        var starts = new List<TopicPartitionOffset>(assigned.Count);
        lock (handoff.Gate)
        {
            foreach (var tp in assigned)
            {
                var partition = handoff.GetOrAdd(tp);

                var start = known.TryGetValue(tp, out var after)
                    ? OffsetTracker.StartOffset(tp, after, committed)
                    : OffsetTracker.CommittedOrReset(tp, committed, options.AutoOffsetReset);
                if (ends.TryGetValue(tp, out var end))
                {
                    partition.End = end;
                }

                handoff.ActivateLocked(partition, start);
                starts.Add(new TopicPartitionOffset(tp, start));
            }

            handoff.AssignmentDoneLocked(prime: !ListsPartitions);
        }

        PartitionsAssigned?.Invoke(assigned);
        return starts;
    }

    public void OnRevoked(List<TopicPartitionOffset> revoked)
    {
        PartitionsRevoking?.Invoke(revoked); // partition readers: stop and checkpoint while the partitions are still ours
        lock (handoff.Gate)
        {
            handoff.RevokeLocked(revoked);
        }
    }

    /// <summary>
    /// Bounded group runs: the end offset (high watermark) of every non-empty partition of the topics, read now, by
    /// partition name: what the whole group must have read before this instance may leave.
    /// </summary>
    public async Task<Dictionary<string, long>> ObserveEndOffsetsAsync()
    {
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        var partitions = AllTopicPartitions();
        var listOptions = new ListOffsetsOptions { RequestTimeout = options.RequestTimeout };
        var earliest = await admin.ListOffsetsAsync(Specs(partitions, OffsetSpec.Earliest()), listOptions).ConfigureAwait(false);
        var latest = await admin.ListOffsetsAsync(Specs(partitions, OffsetSpec.Latest()), listOptions).ConfigureAwait(false);
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

    /// <summary>Every partition of the topics, from the brokers' metadata: fetched once, by whichever thread asks first.</summary>
    /// <remarks>The reading thread asks through <see cref="PartitionNames"/> (bounded, before reading), the consume thread when it assigns.</remarks>
    private List<TopicPartition> AllTopicPartitions()
    {
        lock (_metadataGate)
        {
            return _allPartitions ??= FetchTopicPartitions();
        }
    }

    private List<TopicPartition> FetchTopicPartitions()
    {
        var admin = new DependentAdminClientBuilder(consumer.Handle).Build();
        try
        {
            return FetchTopicPartitions(admin);
        }
        finally
        {
            // Disposing an admin client waits for its poll task, up to 100 ms (measured in the Kafka benchmark): done
            // off this thread, so reading starts at once; the consume loop waits for it before disposing the consumer.
            _metadataClientDisposed = Task.Run(admin.Dispose);
        }
    }

    private List<TopicPartition> FetchTopicPartitions(IAdminClient admin)
    {
        var partitions = new List<TopicPartition>();
        foreach (var topic in options.Topics)
        {
            var started = TimeProvider.System.GetTimestamp();
            while (true)
            {
                var remaining = options.RequestTimeout - TimeProvider.System.GetElapsedTime(started);
                var metadata = admin.GetMetadata(topic, remaining > TimeSpan.Zero ? remaining : TimeSpan.FromMilliseconds(1));
                var found = metadata.Topics.Find(t => t.Topic == topic);
                if (found is { Error.IsError: false, Partitions.Count: > 0 })
                {
                    foreach (var partition in found.Partitions)
                    {
                        partitions.Add(new TopicPartition(topic, partition.PartitionId));
                    }

                    break;
                }

                // Asks again after MetadataRetry, or at once gives up when the source is disposed meanwhile.
                if (handoff.StopRequested || TimeProvider.System.GetElapsedTime(started) > options.RequestTimeout || handoff.WaitForStop(MetadataRetry))
                {
                    throw new KafkaException(new Error(found?.Error.Code ?? ErrorCode.UnknownTopicOrPart, $"Topic '{topic}' was not found within {options.RequestTimeout}: {found?.Error.Reason}"));
                }
            }
        }

        return partitions;
    }
}
