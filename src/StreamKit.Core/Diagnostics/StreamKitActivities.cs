using System.Diagnostics;

namespace StreamKit.Diagnostics;

/// <summary>
/// StreamKit's tracing: one <see cref="ActivitySource"/> named <c>StreamKit</c>, with an activity per processed batch
/// (<c>streamkit.batch</c>) and per checkpoint (<c>streamkit.checkpoint</c>), never per record.
/// </summary>
/// <remarks>
/// <para>One source for every pipeline, not one per pipeline: OpenTelemetry subscribes by source name, so a fixed name
/// is registered once (<c>AddSource("StreamKit")</c>) and does not depend on pipeline names; each activity carries the
/// <c>streamkit.pipeline</c> tag, which is what a per-pipeline source would have told apart.</para>
/// <para>Activities are created only while a listener is attached (<see cref="ActivitySource.HasListeners"/>): without
/// one, tracing costs a field read per batch. A batch activity is linked (<see cref="ActivityLink"/>) to the trace
/// contexts its records carried in, where the source implements <see cref="ITraceContextSource"/> (Kafka's
/// <c>traceparent</c> header), and is the current activity while the pipeline runs, so sinks can propagate it.</para>
/// </remarks>
public static class StreamKitActivities
{
    /// <summary>The activity source's name.</summary>
    public const string SourceName = "StreamKit";

    /// <summary>The name of the activity around decoding and processing one batch.</summary>
    public const string BatchActivityName = "streamkit.batch";

    /// <summary>The name of the activity around one checkpoint (flush, save state, commit).</summary>
    public const string CheckpointActivityName = "streamkit.checkpoint";

    /// <summary>The tag on a batch activity naming the source partition.</summary>
    public const string PartitionTag = "streamkit.partition";

    /// <summary>The tag on a batch activity giving the number of raw records in the batch.</summary>
    public const string RecordsTag = "streamkit.batch.records";

    /// <summary>The W3C trace-context header carrying the trace and span ids (<c>traceparent</c>).</summary>
    public const string TraceParentHeader = "traceparent";

    /// <summary>The W3C trace-context header carrying vendor state (<c>tracestate</c>).</summary>
    public const string TraceStateHeader = "tracestate";

    /// <summary>The most links a batch activity carries; further distinct contexts in the same batch are dropped to bound the cost.</summary>
    public const int MaxLinksPerBatch = 32;

    /// <summary>StreamKit's activity source.</summary>
    public static ActivitySource Source { get; } = new(SourceName, typeof(StreamKitActivities).Assembly.GetName().Version?.ToString());
}
