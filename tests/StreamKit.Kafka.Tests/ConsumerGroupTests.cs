using System.Text;
using StreamKit.Codecs;
using StreamKit.Kafka.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Runtime;

namespace StreamKit.Kafka.Tests;

/// <summary>Two instances in one consumer group: the partitions are split between them, and together they see everything.</summary>
[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class ConsumerGroupTests(KafkaBroker broker)
{
    private static readonly TimeSpan s_rebalanceTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TwoInstancesInOneGroup_SplitThePartitions_AndTogetherProcessEveryMessageOnce()
    {
        var topic = KafkaBroker.UniqueTopic("group");
        KafkaTestClient.Create(broker.BootstrapServers, topic);
        var group = "group-" + Guid.NewGuid().ToString("N");
        using var cts = new CancellationTokenSource();
        var progress = new Pulse();
        var a = new Instance(broker.BootstrapServers, topic, group, progress);
        var b = new Instance(broker.BootstrapServers, topic, group, progress);
        var runs = new[] { a.RunAsync(cts.Token), b.RunAsync(cts.Token) };
        try
        {
            // Produce only once the group has settled, so that each message is read by the instance that owns its
            // partition now (a rebalance later would legitimately hand some messages to both: at-least-once).
            await progress.WaitUntilAsync(() => a.Source.AssignedPartitions.Count > 0 && b.Source.AssignedPartitions.Count > 0
                && a.Source.AssignedPartitions.Count + b.Source.AssignedPartitions.Count == 4, "the group to give both instances partitions", s_rebalanceTimeout, runs);
            Assert.Empty(a.Source.AssignedPartitions.Intersect(b.Source.AssignedPartitions));

            KafkaTestClient.Produce(broker.BootstrapServers, topic,
                Enumerable.Range(0, 2000).Select(i => ((byte[]?)null, Encoding.UTF8.GetBytes(Reading.Json(1_700_000_000_000 + i, i % 4, i)), (int?)(i % 4))));
            await progress.WaitUntilAsync(() => a.Count + b.Count >= 2000, "both instances to process 2,000 messages", s_rebalanceTimeout, runs);
        }
        finally
        {
            await cts.CancelAsync();
            await Task.WhenAll(runs).WaitAsync(TimeSpan.FromSeconds(30));
            await a.Source.DisposeAsync();
            await b.Source.DisposeAsync();
        }

        var values = a.Values.Concat(b.Values).Order().ToList();
        Assert.Equal(Enumerable.Range(0, 2000).Select(i => (long)i), values);
        Assert.NotEmpty(a.Values);
        Assert.NotEmpty(b.Values);
        Assert.All(a.Sensors, s => Assert.Contains($"{topic}-{s}", a.Partitions)); // each read only its own partitions
        Assert.All(b.Sensors, s => Assert.Contains($"{topic}-{s}", b.Partitions));
    }

    private sealed class Instance : IRecordSink<Reading>
    {
        private readonly Lock _lock = new();
        private readonly List<Reading> _readings = [];
        private readonly PipelineRunner<Reading> _runner;
        private readonly Pulse _progress;

        /// <param name="progress">Notified after each read of the source (an empty one at least every poll interval) and each write.</param>
        public Instance(string bootstrap, string topic, string group, Pulse progress)
        {
            _progress = progress;
            Source = new KafkaSource(new KafkaSourceOptions
            {
                BootstrapServers = bootstrap,
                Topics = [topic],
                GroupId = group,
                Assignment = KafkaAssignment.ConsumerGroup,
                PollInterval = TimeSpan.FromMilliseconds(50),
                Config = new Dictionary<string, string> { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "300" },
            });
            var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts).To(this);
            _runner = new PipelineRunner<Reading>(pipeline, new ObservedSource(Source, progress), new JsonLinesDecoder<Reading>(Reading.Map), new ListDeadLetters(),
                new PipelineRunnerOptions { CheckpointInterval = TimeSpan.FromMilliseconds(500) });
        }

        public KafkaSource Source { get; }

        public IReadOnlyList<string> Partitions { get; private set; } = [];

        public int Count
        {
            get
            {
                lock (_lock)
                {
                    return _readings.Count;
                }
            }
        }

        public IEnumerable<long> Values => _readings.Select(r => r.Value);

        public IEnumerable<int> Sensors => _readings.Select(r => r.Sensor).Distinct();

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            await Task.Yield();
            await _runner.RunAsync(cancellationToken);
        }

        public void Write(ReadOnlySpan<Reading> records)
        {
            lock (_lock)
            {
                _readings.AddRange(records);
                Partitions = Source.AssignedPartitions;
            }

            _progress.Notify();
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }
}
