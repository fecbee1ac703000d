using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Runtime;

namespace StreamKit.Kafka;

/// <summary>
/// Repartitioning: copy a topic to an intermediate topic keyed by the aggregation key, so that every record of one key is
/// in one partition and instances that share the intermediate topic's partitions aggregate disjoint keys.
/// </summary>
/// <remarks>See docs/kafka.md, "Several instances". The intermediate topic's message timestamps can carry event time (set
/// <see cref="KafkaSinkOptions{T}.Timestamp"/>), so the aggregating job may use <see cref="KafkaEventTime.MessageTimestamp"/>.</remarks>
public static class KafkaRepartition
{
    /// <summary>A runner that decodes <paramref name="input"/> and writes every record to <paramref name="output"/> (configure its <see cref="KafkaSinkOptions{T}.Key"/> as the aggregation key).</summary>
    /// <param name="input">The topic(s) to repartition.</param>
    /// <param name="decoder">How input payloads become records.</param>
    /// <param name="output">The intermediate topic's sink, keyed by the aggregation key.</param>
    /// <param name="deadLetters">Where undecodable input goes.</param>
    /// <param name="options">Checkpointing settings; event time is not used (there are no windows).</param>
    /// <typeparam name="T">The record type.</typeparam>
    public static PipelineRunner<T> CreateRunner<T>(KafkaSource input, IRecordDecoder<T> decoder, KafkaSink<T> output, IDeadLetterSink deadLetters, PipelineRunnerOptions? options = null)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var pipeline = StreamPipeline.Create<T>(new PipelineOptions { Name = "repartition-" + input.Name }).To(output);
        var runnerOptions = new PipelineRunnerOptions
        {
            StateStore = options?.StateStore,
            StateKey = options?.StateKey,
            CheckpointInterval = options?.CheckpointInterval ?? TimeSpan.FromSeconds(10),
            CheckpointEveryBatches = options?.CheckpointEveryBatches ?? 0,
            BatchSize = options?.BatchSize ?? 1024,
            TimeProvider = options?.TimeProvider ?? TimeProvider.System,
            UseSourceTimestamps = true, // no windows: timestamps only feed the watermark metric
        };
        return new PipelineRunner<T>(pipeline, input, decoder, deadLetters, runnerOptions);
    }
}
