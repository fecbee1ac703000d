using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using StreamKit.Diagnostics;
using StreamKit.Hosting.Tests.Support;
using StreamKit.Runtime;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Hosting.Tests.Diagnostics;

/// <summary>
/// The runner's metrics and activities, read the way exporters read them: a <see cref="MeterListener"/> and an
/// <see cref="ActivityListener"/>. In this project rather than the core's tests: listeners are process-wide, and the
/// core's allocation tests must not see one.
/// </summary>
public sealed class RunnerTelemetryTests
{
    [Fact]
    public async Task Run_WithListeners_MetricsAndActivitiesMatchWhatWasProcessed()
    {
        var name = "telemetry-" + Guid.NewGuid().ToString("N");
        var sums = new ConcurrentDictionary<string, double>();
        var counts = new ConcurrentDictionary<string, int>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == StreamKitMetrics.MeterName)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            foreach (var tag in tags)
            {
                if (tag.Key == StreamKitMetrics.PipelineTag && (string?)tag.Value == name)
                {
                    sums.AddOrUpdate(instrument.Name, value, (_, sum) => sum + value);
                    counts.AddOrUpdate(instrument.Name, 1, (_, n) => n + 1);
                }
            }
        }

        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        meters.Start();

        var activities = new ConcurrentQueue<Activity>();
        using var tracer = new ActivityListener
        {
            ShouldListenTo = source => source.Name == StreamKitActivities.SourceName,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if ((string?)activity.GetTagItem(StreamKitMetrics.PipelineTag) == name)
                {
                    activities.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(tracer);

        var source = new InMemorySource { MaxBatchSize = 3 };
        source.Add("p0", Readings.Line(1_000, 1));
        source.Add("p0", Readings.Line(2_000, 2));
        source.Add("p0", Readings.Line(25_000, 1)); // the watermark passes 10 s: window [0, 10 s) closes
        source.Add("p0", Readings.Line(3_000, 1)); // late
        source.Add("p0", "{\"ts\":");
        source.Add("p0", Readings.Line(26_000, 2));
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();
        var pipeline = Readings.Pipeline(name, sink);
        var runner = new PipelineRunner<Reading>(pipeline, source, Readings.Decoder(), deadLetters, new PipelineRunnerOptions { CheckpointEveryBatches = 1 });

        await runner.RunAsync();

        Assert.Equal(5, runner.Counters.Processed);
        Assert.Equal(runner.Counters.Processed, sums["streamkit.records.in"]);
        Assert.Equal(1, runner.Counters.DeadLettered);
        Assert.Equal(runner.Counters.DeadLettered, sums["streamkit.dead_letters"]);
        Assert.Equal(1, pipeline.Counters.Late);
        Assert.Equal(pipeline.Counters.Late, sums["streamkit.late_events"]);
        Assert.Equal(sink.Records.Count, sums["streamkit.records.out"]);
        Assert.Equal(source.BatchesDelivered, counts["streamkit.batch.duration"]);
        Assert.Equal(runner.Counters.Checkpoints, counts["streamkit.checkpoint.duration"]);
        Assert.True(counts["streamkit.watermark.lag"] > 0);

        var batches = activities.Where(a => a.OperationName == StreamKitActivities.BatchActivityName).ToList();
        var checkpoints = activities.Where(a => a.OperationName == StreamKitActivities.CheckpointActivityName).ToList();
        Assert.Equal(source.BatchesDelivered, batches.Count);
        Assert.All(batches, a => Assert.Equal("p0", a.GetTagItem(StreamKitActivities.PartitionTag)));
        Assert.Equal(6, batches.Sum(a => (int)a.GetTagItem(StreamKitActivities.RecordsTag)!));
        Assert.Equal(runner.Counters.Checkpoints, checkpoints.Count);
    }

    [Fact]
    public void RecordConsumerLag_WithListener_ReportsPerSourceAndPartition()
    {
        var partition = "shard-" + Guid.NewGuid().ToString("N");
        var readings = new ConcurrentQueue<(string Instrument, double Value, string? Source)>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == StreamKitMetrics.MeterName && instrument.Name.StartsWith("streamkit.consumer.", StringComparison.Ordinal))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        void OnMeasurement(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? source = null;
            var ours = false;
            foreach (var tag in tags)
            {
                source = tag.Key == StreamKitMetrics.SourceTag ? (string?)tag.Value : source;
                ours |= tag.Key == StreamKitMetrics.PartitionTag && (string?)tag.Value == partition;
            }

            if (ours)
            {
                readings.Enqueue((instrument.Name, value, source));
            }
        }

        meters.SetMeasurementEventCallback<long>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        meters.SetMeasurementEventCallback<double>((instrument, value, tags, _) => OnMeasurement(instrument, value, tags));
        meters.Start();

        Assert.True(StreamKitMetrics.IsConsumerLagEnabled);
        StreamKitMetrics.RecordConsumerLag("kinesis:clicks", partition, 42);
        StreamKitMetrics.RecordConsumerTimeLag("kinesis:clicks", partition, TimeSpan.FromMilliseconds(1500));
        StreamKitMetrics.RecordConsumerLag("kinesis:clicks", partition, -3); // a stale high watermark: never negative

        Assert.Equal(
            [("streamkit.consumer.lag", 42, "kinesis:clicks"), ("streamkit.consumer.time_lag", 1.5, "kinesis:clicks"), ("streamkit.consumer.lag", 0, "kinesis:clicks")],
            readings.ToArray());
    }
}
