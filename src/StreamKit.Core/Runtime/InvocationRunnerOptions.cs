using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>How an <see cref="InvocationRunner{T}"/> keeps state and budgets an invocation's time.</summary>
public sealed class InvocationRunnerOptions
{
    /// <summary>Where each partition's state and last applied sequence number live between invocations; required.</summary>
    /// <remarks>A function instance's memory does not outlive it: use a durable store (S3, Blob, a mounted directory).</remarks>
    public IStateStore? StateStore { get; set; }

    /// <summary>Prefix of the state keys; the partition name (shard id, topic-partition) follows it.</summary>
    /// <value>Defaults to the pipeline's name and a slash.</value>
    public string? StateKeyPrefix { get; set; }

    /// <summary>Take event time from the platform's record timestamps (Kinesis arrival, enqueue time) instead of the pipeline's event-time selector.</summary>
    public bool UseSourceTimestamps { get; set; }

    /// <summary>Time kept back before the invocation's deadline for the checkpoint (flush, state save).</summary>
    /// <remarks>
    /// Records still untaken when less than this remains are reported as not processed so the platform delivers them
    /// again. Raise it for large state or slow sinks: a checkpoint cut off by the platform's timeout makes the whole
    /// batch fail and be retried.
    /// </remarks>
    /// <value>Defaults to 2 seconds.</value>
    public TimeSpan DeadlineMargin { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock the deadline is compared with; replace it in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}
