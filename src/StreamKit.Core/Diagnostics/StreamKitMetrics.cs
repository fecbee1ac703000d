using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace StreamKit.Diagnostics;

/// <summary>
/// StreamKit's instruments on the <c>StreamKit</c> meter (OpenTelemetry-style names; every measurement carries the
/// <c>streamkit.pipeline</c> tag). Listen with a <see cref="MeterListener"/> or OpenTelemetry's
/// <c>AddMeter("StreamKit")</c>.
/// </summary>
/// <remarks>Recorded once per batch, never per record, so they cost nothing measurable on the hot path.</remarks>
public static class StreamKitMetrics
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "StreamKit";

    /// <summary>The tag naming the pipeline.</summary>
    public const string PipelineTag = "streamkit.pipeline";

    private static readonly Meter s_meter = new(MeterName, typeof(StreamKitMetrics).Assembly.GetName().Version?.ToString());

    internal static readonly Counter<long> RecordsIn = s_meter.CreateCounter<long>("streamkit.records.in", "{record}", "Records that entered a pipeline (after decoding).");
    internal static readonly Counter<long> RecordsOut = s_meter.CreateCounter<long>("streamkit.records.out", "{record}", "Records a pipeline wrote to its sink.");
    internal static readonly Counter<long> DeadLetters = s_meter.CreateCounter<long>("streamkit.dead_letters", "{record}", "Records sent to the dead-letter sink.");
    internal static readonly Counter<long> LateEvents = s_meter.CreateCounter<long>("streamkit.late_events", "{record}", "Events that arrived after their windows had closed.");
    internal static readonly Gauge<long> WatermarkLag = s_meter.CreateGauge<long>("streamkit.watermark.lag", "ms", "Wall-clock time minus the pipeline's watermark.");
    internal static readonly Histogram<double> BatchDuration = s_meter.CreateHistogram<double>("streamkit.batch.duration", "s", "Time to decode and process one batch.");
    internal static readonly Histogram<double> CheckpointDuration = s_meter.CreateHistogram<double>("streamkit.checkpoint.duration", "s", "Time to flush sinks, save state and commit positions.");

    internal static TagList Tags(string pipeline) => new() { { PipelineTag, pipeline } };
}
