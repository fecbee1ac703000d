namespace StreamKit.Hosting.AwsLambda;

/// <summary>Which event source mapping invokes the function: decides how the event JSON is read and how failures are reported.</summary>
public enum LambdaEventSource
{
    /// <summary>Kinesis Data Streams: partition = shard id, sequence = the record's sequence number; failures reported as <c>batchItemFailures</c> by sequence number.</summary>
    Kinesis,

    /// <summary>Amazon MSK or self-managed Kafka: partition = the event's <c>topic-partition</c> key, sequence = the offset; records not taken fail the invocation (see the remarks of <see cref="StreamKitFunction{T}"/>).</summary>
    Kafka,

    /// <summary>SQS: FIFO queues partition by message group and deduplicate by sequence number; standard queues are one partition per queue, at-least-once; failures reported by <c>messageId</c>.</summary>
    Sqs,
}
