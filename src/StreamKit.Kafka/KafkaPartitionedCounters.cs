using StreamKit.Runtime;

namespace StreamKit.Kafka;

/// <summary>What a <see cref="KafkaPartitionedRunner{T}"/>'s partition runners did, summed (see <see cref="RunnerCounters"/>).</summary>
/// <param name="Read">Records read.</param>
/// <param name="Skipped">Records skipped as already applied by a restored checkpoint.</param>
/// <param name="DeadLettered">Records sent to the dead-letter sink.</param>
/// <param name="Processed">Records given to a pipeline.</param>
/// <param name="Checkpoints">Checkpoints completed.</param>
/// <param name="Runners">Partition runners started (one per assignment of a partition).</param>
public readonly record struct KafkaPartitionedCounters(long Read, long Skipped, long DeadLettered, long Processed, long Checkpoints, int Runners);
