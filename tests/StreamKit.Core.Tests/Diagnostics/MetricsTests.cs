using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using StreamKit.Diagnostics;
using StreamKit.Pipeline;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Diagnostics;

/// <summary>The pipeline's instruments, read the way an exporter reads them: through a <see cref="MeterListener"/>.</summary>
public sealed class MetricsTests
{
    private readonly record struct Reading(long Ts, int Key);

    [Fact]
    public void Process_WithListener_ReportsRecordsLateEventsAndWatermarkLagForThePipeline()
    {
        var name = "metrics-" + Guid.NewGuid().ToString("N");
        var measurements = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == StreamKitMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == StreamKitMetrics.PipelineTag && (string?)tag.Value == name)
                {
                    measurements.AddOrUpdate(instrument.Name, value, (_, sum) => instrument is Gauge<long> ? value : sum + value);
                }
            }
        });
        var watermarkLag = 0.0;
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (instrument.Name == "streamkit.watermark.lag" && tag.Key == StreamKitMetrics.PipelineTag && (string?)tag.Value == name)
                {
                    watermarkLag = value;
                }
            }
        });
        listener.Start();

        var sink = new CollectingSink<WindowResult<int, long>>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts, new PipelineOptions { Name = name, MaxOutOfOrderness = TimeSpan.Zero })
            .KeyBy(static r => r.Key)
            .Window(WindowSpec.Tumbling(TimeSpan.FromSeconds(10)))
            .Aggregate(static a => a.Count())
            .To(sink);

        pipeline.Process(new Reading[] { new(1_000, 1), new(2_000, 2), new(25_000, 1) });
        pipeline.Process(new Reading[] { new(3_000, 1) }); // its window [0, 10 s) fired when the watermark reached 25 s

        Assert.Equal(4, measurements["streamkit.records.in"]);
        Assert.Equal(sink.Records.Count, measurements["streamkit.records.out"]);
        Assert.Equal(2, sink.Records.Count);
        Assert.Equal(1, measurements["streamkit.late_events"]);
        Assert.Equal(1, pipeline.Counters.Late);
        Assert.True(watermarkLag > 0, "wall clock is far ahead of 1970's event times");
    }
}
