namespace StreamKit.Kafka;

/// <summary>Settings of a <see cref="KafkaDeadLetterSink"/>: the producer's, plus the topic.</summary>
public sealed class KafkaDeadLetterSinkOptions : KafkaProducerOptions
{
    /// <summary>The dead-letter topic.</summary>
    public string Topic { get; set; } = "";
}
