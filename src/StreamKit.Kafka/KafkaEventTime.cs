namespace StreamKit.Kafka;

/// <summary>Where a pipeline's event time comes from when reading Kafka.</summary>
public enum KafkaEventTime
{
    /// <summary>From the payload, through the pipeline's event-time selector (the default).</summary>
    Payload,

    /// <summary>From the message timestamp (create time or log-append time, as the topic is configured).</summary>
    /// <remarks>Messages without a timestamp are dead-lettered instead of being given time 0.</remarks>
    MessageTimestamp,
}
