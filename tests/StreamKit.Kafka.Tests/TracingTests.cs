using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Diagnostics;
using StreamKit.Kafka.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;

namespace StreamKit.Kafka.Tests;

/// <summary>Trace context through Kafka headers, and consumer lag, observed with the listeners an exporter uses.</summary>
/// <remarks>In the broker's collection, so no other Kafka test (the allocation test among them) runs while these listeners are attached.</remarks>
[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class TracingTests(KafkaBroker broker)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Pipeline_TopicToTopic_BatchesLinkToProducerTraceAndOutputCarriesBatchTrace()
    {
        var input = KafkaBroker.UniqueTopic("traced-in");
        var output = KafkaBroker.UniqueTopic("traced-out");
        var name = "traced-" + Guid.NewGuid().ToString("N");
        using var upstreamSource = new ActivitySource("StreamKit.Tests.Upstream");
        var stopped = new ConcurrentQueue<Activity>();
        using var tracer = RecordStopped(upstreamSource, stopped);
        var lag = new ConcurrentDictionary<string, long>();
        using var meters = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == StreamKitMetrics.MeterName && instrument.Name == "streamkit.consumer.lag")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        meters.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? partition = null;
            var ours = false;
            foreach (var tag in tags)
            {
                partition = tag.Key == StreamKitMetrics.PartitionTag ? (string?)tag.Value : partition;
                ours |= tag.Key == StreamKitMetrics.SourceTag && (string?)tag.Value == "kafka:" + input;
            }

            if (ours && partition is not null)
            {
                lag[partition] = value;
            }
        });
        meters.Start();

        var upstream = await ProduceInActivityAsync(upstreamSource, input);
        var produced = KafkaTestClient.ReadAll(broker.BootstrapServers, input);
        Assert.Equal(400, produced.Count);
        Assert.All(produced, m => Assert.Equal(
            $"00-{upstream.TraceId}-{upstream.SpanId}-01",
            Encoding.ASCII.GetString(m.Message.Headers.GetLastBytes(StreamKitActivities.TraceParentHeader))));

        // The pipeline: Kafka to Kafka through the runner, reading trace context.
        var options = KafkaSourceTests.Options(broker.BootstrapServers, input, bounded: true);
        options.ReadTraceContext = true;
        await using (var source = new KafkaSource(options))
        await using (var sink = new KafkaSink<Reading>(SinkOptions(output)))
        {
            var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts, new PipelineOptions { Name = name }).To(sink);
            var runner = new PipelineRunner<Reading>(pipeline, source, new JsonLinesDecoder<Reading>(Reading.Map), new ListDeadLetters(), new PipelineRunnerOptions { BatchSize = 16 }); // a partition's messages span batches
            await runner.RunAsync().WaitAsync(s_timeout);
            Assert.Equal(400, runner.Counters.Processed);
        }

        var withRecords = BatchesLinkedTo(upstream, stopped, name);

        var batchTraces = withRecords.Select(a => a.TraceId.ToHexString()).ToHashSet();
        var results = KafkaTestClient.ReadAll(broker.BootstrapServers, output);
        Assert.Equal(400, results.Count);
        Assert.All(results, m =>
        {
            var parent = Encoding.ASCII.GetString(m.Message.Headers.GetLastBytes(StreamKitActivities.TraceParentHeader));
            Assert.Contains(parent.Split('-')[1], batchTraces);
        });

        // Read to the end: each partition's last reported lag is zero.
        Assert.NotEmpty(lag);
        Assert.All(lag, pair => Assert.Equal(0, pair.Value));
    }

    [Fact]
    public async Task PartitionedRunner_EachPartitionsBatchesLinkToProducerTrace()
    {
        var input = KafkaBroker.UniqueTopic("traced-partitioned");
        var name = "traced-partitioned-" + Guid.NewGuid().ToString("N");
        using var upstreamSource = new ActivitySource("StreamKit.Tests.Upstream");
        var stopped = new ConcurrentQueue<Activity>();
        using var tracer = RecordStopped(upstreamSource, stopped);
        var upstream = await ProduceInActivityAsync(upstreamSource, input);

        var runner = new KafkaPartitionedRunner<Reading>(new KafkaPartitionedRunnerOptions<Reading>
        {
            Source = new KafkaSourceOptions
            {
                BootstrapServers = broker.BootstrapServers,
                Topics = [input],
                GroupId = "g-" + Guid.NewGuid().ToString("N"),
                Bounded = true,
                ReadTraceContext = true,
                PollInterval = TimeSpan.FromMilliseconds(50),
            },
            PipelineFactory = _ => StreamPipeline.Create<Reading>(static r => r.Ts, new PipelineOptions { Name = name }).To(new ListSink<Reading>()),
            DecoderFactory = () => new JsonLinesDecoder<Reading>(Reading.Map),
            DeadLetters = new ListDeadLetters(),
            StateStore = new InMemoryStateStore(),
            StateKeyPrefix = name,
            MaxParallelism = 2,
            Runner = new PipelineRunnerOptions { BatchSize = 16 },
        });
        await runner.RunAsync().WaitAsync(s_timeout);

        Assert.Equal(400, runner.Counters.Processed);
        var withRecords = BatchesLinkedTo(upstream, stopped, name);
        Assert.Equal(400, withRecords.Sum(a => (int)a.GetTagItem(StreamKitActivities.RecordsTag)!));
        var partitions = KafkaTestClient.ReadAll(broker.BootstrapServers, input).Select(m => $"{input}-{m.Partition.Value}").Distinct().Order(StringComparer.Ordinal);
        Assert.Equal(partitions, withRecords.Select(a => (string)a.GetTagItem(StreamKitActivities.PartitionTag)!).Distinct().Order(StringComparer.Ordinal));
    }

    /// <summary>The pipeline's batch activities that carried records, each asserted to link to <paramref name="upstream"/> alone.</summary>
    private static List<Activity> BatchesLinkedTo(ActivityContext upstream, IEnumerable<Activity> stopped, string pipeline)
    {
        var withRecords = stopped
            .Where(a => a.OperationName == StreamKitActivities.BatchActivityName && (string?)a.GetTagItem(StreamKitMetrics.PipelineTag) == pipeline)
            .Where(a => (int)a.GetTagItem(StreamKitActivities.RecordsTag)! > 0)
            .ToList();
        Assert.NotEmpty(withRecords);
        Assert.All(withRecords, batch =>
        {
            var link = Assert.Single(batch.Links);
            Assert.Equal(upstream.TraceId, link.Context.TraceId);
            Assert.Equal(upstream.SpanId, link.Context.SpanId);
            Assert.True(link.Context.IsRemote);
        });
        return withRecords;
    }

    /// <summary>Upstream: a producer writing 400 readings (over the 4 auto-created partitions) inside its own activity.</summary>
    private async Task<ActivityContext> ProduceInActivityAsync(ActivitySource upstreamSource, string topic)
    {
        var readings = Enumerable.Range(0, 400).Select(i => new Reading { Ts = 1_700_000_000_000 + (i * 100L), Sensor = i % 4, Value = i }).ToArray();
        await using var producer = new KafkaSink<Reading>(SinkOptions(topic));
        ActivityContext upstream;
        using (var activity = upstreamSource.StartActivity("produce")!)
        {
            upstream = activity.Context;
            producer.Write(readings);
        }

        await producer.FlushAsync().AsTask().WaitAsync(s_timeout);
        return upstream;
    }

    private KafkaSinkOptions<Reading> SinkOptions(string topic) => new()
    {
        BootstrapServers = broker.BootstrapServers,
        Topic = topic,
        Encoder = new JsonLinesEncoder<Reading>(Reading.Map),
        Key = Reading.WriteKey,
    };

    /// <summary>Records every activity of StreamKit's source and <paramref name="upstream"/> as it stops.</summary>
    private static ActivityListener RecordStopped(ActivitySource upstream, ConcurrentQueue<Activity> stopped)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is StreamKitActivities.SourceName || source == upstream,
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
