using StreamKit.Runtime;

namespace StreamKit.Kafka;

/// <summary>Connects a <see cref="KafkaSource"/>'s settings to the runner's.</summary>
public static class KafkaPipelineRunnerOptionsExtensions
{
    /// <summary>Sets <see cref="PipelineRunnerOptions.UseSourceTimestamps"/> from the source's <see cref="KafkaSourceOptions.EventTime"/>.</summary>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    public static PipelineRunnerOptions UseEventTimeOf(this PipelineRunnerOptions options, KafkaSource source)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(source);
        options.UseSourceTimestamps = source.Options.EventTime == KafkaEventTime.MessageTimestamp;
        return options;
    }
}
