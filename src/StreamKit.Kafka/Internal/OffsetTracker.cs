using Confluent.Kafka;

namespace StreamKit.Kafka.Internal;

/// <summary>
/// A <see cref="KafkaSource"/>'s positions: the checkpoint positions it was told to resume from, where an assigned
/// partition starts, and the offsets it commits after a checkpoint.
/// </summary>
/// <remarks>
/// A checkpoint position is the last applied offset of a partition; a Kafka committed offset is the next offset to
/// read. So a partition starts at <c>position + 1</c> and a checkpoint commits <c>position + 1</c>.
/// </remarks>
internal sealed class OffsetTracker(KafkaSourceOptions options, IConsumer<Staged, Staged> consumer, PartitionHandoff handoff)
{
    // Written before the consume thread starts (SeekAsync), read by it when partitions are assigned.
    private readonly Dictionary<string, long> _checkpointed = new(StringComparer.Ordinal);

    /// <summary>Remembers checkpoint positions, by partition name, for when each partition is assigned.</summary>
    public void Seek(IReadOnlyDictionary<string, long> positions)
    {
        foreach (var (name, position) in positions)
        {
            _checkpointed[name] = position;
        }
    }

    /// <summary>The last offset of <paramref name="partition"/> this process applied: checkpointed, or already handed to the pipeline; -1 when neither.</summary>
    public long LastAppliedLocked(PartitionBuffer partition)
    {
        var after = partition.LastDelivered;
        if (_checkpointed.TryGetValue(partition.Name, out var checkpointed))
        {
            after = Math.Max(after, checkpointed);
        }

        return after;
    }

    /// <summary>Where a partition whose last applied offset is <paramref name="lastApplied"/> starts: the next offset, or the group's committed offset where that is further on.</summary>
    public static Offset StartOffset(TopicPartition partition, long lastApplied, List<TopicPartitionOffset> committed)
    {
        var next = lastApplied + 1;
        foreach (var c in committed)
        {
            if (c.TopicPartition == partition && c.Offset.Value > next)
            {
                next = c.Offset.Value; // another instance went further since: don't apply its messages again
            }
        }

        return new Offset(next);
    }

    /// <summary>Where a partition without a known position starts: the group's committed offset, else where <paramref name="reset"/> says.</summary>
    public static Offset CommittedOrReset(TopicPartition partition, List<TopicPartitionOffset> committed, AutoOffsetReset reset)
    {
        foreach (var c in committed)
        {
            if (c.TopicPartition == partition && c.Offset.Value >= 0)
            {
                return c.Offset;
            }
        }

        return reset switch
        {
            AutoOffsetReset.Earliest => Offset.Beginning,
            AutoOffsetReset.Latest => Offset.End,
            _ => Offset.Unset, // Error: librdkafka reports the missing offset
        };
    }

    /// <summary>Forgets what this process handed on of a partition (see <c>KafkaSource.ReleasePartition</c>).</summary>
    public void ForgetDelivered(string partition)
    {
        lock (handoff.Gate)
        {
            if (handoff.TryGet(partition, out var buffer))
            {
                buffer.LastDelivered = -1;
            }
        }
    }

    /// <summary>Commits <c>position + 1</c> for every listed partition still assigned here (see <see cref="KafkaSource.CommitAsync"/>).</summary>
    /// <param name="positions">Last applied offsets by partition name.</param>
    /// <param name="reading">Whether the consume loop was started; before that nothing is assigned.</param>
    /// <param name="cancellationToken">Passed to the transactional producer.</param>
    public async ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, bool reading, CancellationToken cancellationToken)
    {
        var offsets = new List<TopicPartitionOffset>(positions.Count);
        lock (handoff.Gate)
        {
            if (!reading || handoff.HasLoopExitedLocked)
            {
                return;
            }

            foreach (var (name, position) in positions)
            {
                if (position >= 0 && handoff.TryGet(name, out var partition) && partition.Assigned)
                {
                    offsets.Add(new TopicPartitionOffset(partition.TopicPartition, new Offset(position + 1)));
                }
            }
        }

        if (options.TransactionalProducer is { } producer)
        {
            await producer.CommitTransactionAsync(offsets, consumer.ConsumerGroupMetadata, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(offsets);
        }
        catch (KafkaException e) when (IsRebalanceError(e.Error.Code))
        {
            options.OnError?.Invoke(e.Error);
        }
    }

    private static bool IsRebalanceError(ErrorCode code) => code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration
        or ErrorCode.UnknownMemberId or ErrorCode.Local_State or ErrorCode.Local_AssignmentLost;
}
