using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace StreamKit.Diagnostics;

/// <summary>
/// StreamKit's instruments on the <c>StreamKit</c> meter, named in OpenTelemetry's style (<c>streamkit.records.in</c>,
/// units such as <c>{record}</c> and <c>s</c>). Listen with a <see cref="MeterListener"/> or OpenTelemetry's
/// <c>AddMeter("StreamKit")</c>; docs/observability.md lists every instrument with its tags.
/// </summary>
/// <remarks>
/// <para>Pipeline instruments carry the <c>streamkit.pipeline</c> tag and are recorded once per batch, never per record,
/// so they cost nothing measurable on the hot path. Consumer lag is reported by connectors per partition (tags
/// <c>streamkit.source</c> and <c>streamkit.partition</c>: bounded by the partitions or shards a source reads).</para>
/// <para>Recording allocates nothing: tags go in a <see cref="TagList"/> of at most two entries, which stays on the stack.</para>
/// </remarks>
public static class StreamKitMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "StreamKit";

    /// <summary>The tag naming the pipeline.</summary>
    public const string PipelineTag = "streamkit.pipeline";

    /// <summary>The tag naming a source (its <c>IRecordSource.Name</c>) on consumer-lag measurements.</summary>
    public const string SourceTag = "streamkit.source";

    /// <summary>The tag naming a partition (a Kafka <c>topic-partition</c>, a Kinesis shard id) on consumer-lag measurements.</summary>
    public const string PartitionTag = "streamkit.partition";

    // Exporters' default buckets (0, 5, 10, ... 10000) suit milliseconds; these durations are in seconds and a batch
    // takes from about 100 µs to a few seconds.
    private static readonly InstrumentAdvice<double> s_secondsBuckets = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    };

    private static readonly Meter s_meter = new(MeterName, typeof(StreamKitMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> RecordsIn = s_meter.CreateCounter<long>("streamkit.records.in", "{record}", "Records that entered a pipeline (after decoding).");
    internal static readonly Counter<long> RecordsOut = s_meter.CreateCounter<long>("streamkit.records.out", "{record}", "Records a pipeline wrote to its sink.");
    internal static readonly Counter<long> DeadLetters = s_meter.CreateCounter<long>("streamkit.dead_letters", "{record}", "Records sent to the dead-letter sink.");
    internal static readonly Counter<long> LateEvents = s_meter.CreateCounter<long>("streamkit.late_events", "{record}", "Events that arrived after their windows had closed.");
    internal static readonly Gauge<double> WatermarkLag = s_meter.CreateGauge<double>("streamkit.watermark.lag", "s", "Wall-clock time minus the pipeline's event-time watermark.");
    internal static readonly Histogram<double> BatchDuration = s_meter.CreateHistogram("streamkit.batch.duration", "s", "Time to decode and process one batch.", tags: null, s_secondsBuckets);
    internal static readonly Histogram<double> CheckpointDuration = s_meter.CreateHistogram("streamkit.checkpoint.duration", "s", "Time to flush sinks, save state and commit positions.", tags: null, s_secondsBuckets);
    private static readonly Gauge<long> s_consumerLag = s_meter.CreateGauge<long>("streamkit.consumer.lag", "{record}", "Records in a partition not yet read by this consumer (e.g. Kafka's high watermark minus the position).");
    private static readonly Gauge<double> s_consumerTimeLag = s_meter.CreateGauge<double>("streamkit.consumer.time_lag", "s", "How far behind the partition's newest record this consumer reads (e.g. Kinesis MillisBehindLatest).");

    /// <summary>Whether anything listens to <c>streamkit.consumer.lag</c>: connectors check it before computing lag.</summary>
    public static bool IsConsumerLagEnabled => s_consumerLag.Enabled;

    /// <summary>Whether anything listens to <c>streamkit.consumer.time_lag</c>: connectors check it before computing lag.</summary>
    public static bool IsConsumerTimeLagEnabled => s_consumerTimeLag.Enabled;

    /// <summary>Reports how many records of a partition this consumer has not read yet; a connector calls it once per fetch or batch, not per record.</summary>
    /// <param name="source">The source's name (<c>IRecordSource.Name</c>).</param>
    /// <param name="partition">The partition's name as in batches and checkpoints.</param>
    /// <param name="records">Records behind the partition's end (0 when caught up).</param>
    public static void RecordConsumerLag(string source, string partition, long records) =>
        s_consumerLag.Record(Math.Max(0, records), new TagList { { SourceTag, source }, { PartitionTag, partition } });

    /// <summary>Reports how far (in time) this consumer is behind a partition's newest record, for services that say so (Kinesis <c>MillisBehindLatest</c>).</summary>
    /// <param name="source">The source's name (<c>IRecordSource.Name</c>).</param>
    /// <param name="partition">The partition's name as in batches and checkpoints.</param>
    /// <param name="behind">The time behind the newest record (zero when caught up).</param>
    public static void RecordConsumerTimeLag(string source, string partition, TimeSpan behind) =>
        s_consumerTimeLag.Record(Math.Max(0, behind.TotalSeconds), new TagList { { SourceTag, source }, { PartitionTag, partition } });

    internal static TagList Tags(string pipeline) => new() { { PipelineTag, pipeline } };
}
