using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;

namespace StreamKit.Kafka;

/// <summary>Settings of a <see cref="KafkaPartitionedRunner{T}"/>.</summary>
/// <typeparam name="T">The record type.</typeparam>
public sealed class KafkaPartitionedRunnerOptions<T>
    where T : struct
{
    /// <summary>The source settings: a consumer group (or all partitions), no <see cref="KafkaSourceOptions.TransactionalProducer"/>.</summary>
    public KafkaSourceOptions Source { get; set; } = new();

    /// <summary>Builds a fresh pipeline for a partition (called with its <c>topic-partition</c> name) each time the partition is assigned.</summary>
    /// <remarks>Called on a thread-pool thread. Sinks shared between the pipelines must be thread-safe.</remarks>
    public Func<string, Pipeline<T>>? PipelineFactory { get; set; }

    /// <summary>Builds a decoder for a partition's runner (decoders are not shared between threads).</summary>
    public Func<IRecordDecoder<T>>? DecoderFactory { get; set; }

    /// <summary>Where records that cannot be decoded go, from every partition (the runner serialises calls to it).</summary>
    public IDeadLetterSink? DeadLetters { get; set; }

    /// <summary>Where each partition's checkpoint goes, under <c><see cref="StateKeyPrefix"/>/topic-partition</c>.</summary>
    /// <remarks>Must be shared by every instance of the job (a <see cref="KafkaStateStore"/>, a shared directory) for state to follow a partition.</remarks>
    public IStateStore? StateStore { get; set; }

    /// <summary>The prefix of the partitions' state keys: one per job.</summary>
    public string StateKeyPrefix { get; set; } = "";

    /// <summary>How many partitions' batches may be processed at the same time.</summary>
    /// <remarks>Every assigned partition has its own runner; a runner holding a batch waits for a slot to process it (and its checkpoint).</remarks>
    /// <value>Defaults to <see cref="Environment.ProcessorCount"/>.</value>
    public int MaxParallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>How long a revoke waits for a partition's runner to take its final checkpoint before the partition is released anyway.</summary>
    /// <remarks>After a timeout the new owner starts from the last checkpoint that completed (at-least-once; with a store that checks versions, a save the old runner makes after the new owner's fails with <see cref="StateConflictException"/>).</remarks>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan RevokeTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checkpoint interval, batch size, source timestamps and clock for every partition's runner.</summary>
    /// <remarks><see cref="PipelineRunnerOptions.StateStore"/> and <see cref="PipelineRunnerOptions.StateKey"/> are ignored: <see cref="StateStore"/> and <see cref="StateKeyPrefix"/> apply.</remarks>
    public PipelineRunnerOptions Runner { get; set; } = new();

    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Source, nameof(Source));
        Source.Validate();
        if (Source.TransactionalProducer is not null)
        {
            throw new ArgumentException("A partitioned runner commits each partition on its own; a transactional producer is not supported.", nameof(Source));
        }

        ArgumentNullException.ThrowIfNull(PipelineFactory, nameof(PipelineFactory));
        ArgumentNullException.ThrowIfNull(DecoderFactory, nameof(DecoderFactory));
        ArgumentNullException.ThrowIfNull(DeadLetters, nameof(DeadLetters));
        ArgumentNullException.ThrowIfNull(StateStore, nameof(StateStore));
        ArgumentException.ThrowIfNullOrWhiteSpace(StateKeyPrefix, nameof(StateKeyPrefix));
        ArgumentNullException.ThrowIfNull(Runner, nameof(Runner));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxParallelism, nameof(MaxParallelism));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RevokeTimeout, TimeSpan.Zero, nameof(RevokeTimeout));
    }
}
