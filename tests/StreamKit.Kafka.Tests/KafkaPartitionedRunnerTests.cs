using System.Collections.Concurrent;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.Kafka.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Kafka.Tests;

/// <summary>One pipeline per partition with partition-local state that follows the partition between instances.</summary>
[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class KafkaPartitionedRunnerTests(KafkaBroker broker) : IDisposable
{
    private const int Messages = 12_000;
    private const int Sensors = 24;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(120);
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-kafka-partitioned-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task TwoInstances_KeyedTopic_TogetherEqualTheFileRun()
    {
        var (topic, lines) = ProduceKeyed();
        var expected = await FileRunAsync(lines);
        var group = "partitioned-" + Guid.NewGuid().ToString("N");
        var store = new InMemoryStateStore();
        var a = new Instance(broker.BootstrapServers, topic, group, store, recordsPerMillisecond: 4);
        var b = new Instance(broker.BootstrapServers, topic, group, store, recordsPerMillisecond: 4);

        await Task.WhenAll(a.Runner.RunAsync(), b.Runner.RunAsync()).WaitAsync(s_timeout);

        Assert.Equal(Messages, a.Runner.Counters.Processed + b.Runner.Counters.Processed); // nothing applied twice, nothing lost
        Assert.Equal(expected, Sorted(a.Results.Concat(b.Results)));
    }

    [Fact]
    public async Task InstanceStoppedMidRun_ItsPartitionsContinueFromTheirCheckpointsElsewhere_NothingLostOrDoubleCounted()
    {
        var (topic, lines) = ProduceKeyed();
        var expected = await FileRunAsync(lines);
        var group = "partitioned-" + Guid.NewGuid().ToString("N");
        var store = new InMemoryStateStore();
        var progress = new Pulse();
        var a = new Instance(broker.BootstrapServers, topic, group, store, recordsPerMillisecond: 1, progress);
        var b = new Instance(broker.BootstrapServers, topic, group, store, recordsPerMillisecond: 1, progress);
        using var stopB = new CancellationTokenSource();
        var runA = a.Runner.RunAsync();
        var runB = b.Runner.RunAsync(stopB.Token);

        // Stop b gracefully once both hold partitions and b has checkpointed part of its input (re-checked on each
        // record decoded and each state saved).
        await progress.WaitUntilAsync(() => runA.IsCompleted || runB.IsCompleted || (a.Runner.RunningPartitions.Count > 0 && b.Runner.RunningPartitions.Count > 0
            && a.Runner.RunningPartitions.Count + b.Runner.RunningPartitions.Count == 4
            && b.Runner.Counters.Checkpoints >= 4 && b.Runner.Counters.Processed >= 500), "the instances splitting the partitions and b checkpointing", s_timeout, runA, runB);
        Assert.False(runA.IsCompleted || runB.IsCompleted, "an instance ended before b was stopped");

        var moved = b.Runner.RunningPartitions;
        await stopB.CancelAsync();
        await runB.WaitAsync(s_timeout);
        var processedByB = b.Runner.Counters.Processed;
        Assert.InRange(processedByB, 500, Messages - 1000); // stopped mid-run
        await runA.WaitAsync(s_timeout);

        // a restored b's partitions from their checkpoints: together every record applied exactly once.
        Assert.Equal(Messages, a.Runner.Counters.Processed + processedByB);
        Assert.All(moved, p => Assert.Contains(p, a.PipelinesBuilt));
        Assert.Equal(expected, Sorted(a.Results.Concat(b.Results)));
    }

    [Fact]
    public async Task Bounded_InstanceWhoseOwnPartitionsAreDone_StaysInTheGroupAndFinishesAStoppedMembersPartitions()
    {
        var (topic, lines) = ProduceKeyed();
        var expected = await FileRunAsync(lines);
        var group = "partitioned-" + Guid.NewGuid().ToString("N");
        var store = new InMemoryStateStore();
        var progress = new Pulse();
        var slow = new Instance(broker.BootstrapServers, topic, group, store, recordsPerMillisecond: 1, progress);
        var fast = new Instance(broker.BootstrapServers, topic, group, store, recordsPerMillisecond: 100, progress);
        using var stopSlow = new CancellationTokenSource();
        var runSlow = slow.Runner.RunAsync(stopSlow.Token);
        await progress.WaitUntilAsync(() => slow.Runner.RunningPartitions.Count == 4 && slow.Runner.Counters.Processed >= 200, "the first instance starting", s_timeout, runSlow);

        // The fast instance joins, takes half the partitions and reads them to their end long before the slow one.
        var runFast = fast.Runner.RunAsync();
        await progress.WaitUntilAsync(() => runSlow.IsCompleted || runFast.IsCompleted || (fast.Runner.RunningPartitions.Count > 0 && slow.Runner.RunningPartitions.Count > 0
            && fast.Runner.RunningPartitions.Count + slow.Runner.RunningPartitions.Count == 4
            && fast.Runner.Counters.Processed > 0), "the instances splitting the partitions", s_timeout, runSlow, runFast);
        Assert.False(runSlow.IsCompleted || runFast.IsCompleted, "an instance ended before the partitions were split");

        // Its own partitions done (each one's completion marker saved), and the group checked since and found unfinished
        // (a marker it looked for missing): this is when an instance that wrongly leaves would go. It must stay.
        var own = fast.Runner.RunningPartitions;
        await progress.WaitUntilAsync(() => runFast.IsCompleted || CheckedGroupAfterOwnCompleted(fast.Store.Calls, own), "the fast instance finishing its partitions and checking the group", s_timeout, runSlow, runFast);

        Assert.False(runSlow.IsCompleted, "the slow instance finished before it was stopped: the test proves nothing");
        Assert.False(runFast.IsCompleted, "the fast instance left the group while the slow one still had records to read");

        await stopSlow.CancelAsync();
        await runSlow.WaitAsync(s_timeout);
        await runFast.WaitAsync(s_timeout);
        Assert.Equal(Messages, fast.Runner.Counters.Processed + slow.Runner.Counters.Processed);
        Assert.Equal(expected, Sorted(fast.Results.Concat(slow.Results)));
    }

    /// <summary>
    /// Whether the store saw the completion marker of every one of <paramref name="own"/> partitions saved and, after
    /// those, a marker looked for and missing (the runner's group check finding another member's partition unfinished).
    /// </summary>
    /// <remarks>Markers are the runner's <c>PREFIX/PARTITION.completed</c> keys (see KafkaPartitionedRunner.RunAsync's remarks).</remarks>
    private static bool CheckedGroupAfterOwnCompleted(IReadOnlyList<StoreCall> calls, IReadOnlyList<string> own)
    {
        var saved = new HashSet<string>(StringComparer.Ordinal);
        foreach (var call in calls)
        {
            if (!call.Key.EndsWith(".completed", StringComparison.Ordinal))
            {
                continue;
            }

            if (call.Kind == "save")
            {
                saved.Add(call.Key);
            }
            else if (call.Kind == "load" && !call.Found && own.All(p => saved.Contains("job/" + p + ".completed")))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Readings with event times in order, keyed (and so partitioned) by sensor.</summary>
    private (string Topic, List<string> Lines) ProduceKeyed()
    {
        var topic = KafkaBroker.UniqueTopic("partitioned");
        var lines = Enumerable.Range(0, Messages).Select(i => Reading.Json(1_700_000_000_000 + (i * 100L), (i * 7) % Sensors, i)).ToList();
        KafkaTestClient.Produce(broker.BootstrapServers, topic, lines.Select(line =>
        {
            var sensor = (int)(Convert.ToInt64(line.Split("\"sensor\":")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture));
            return ((byte[]?)Encoding.UTF8.GetBytes(sensor.ToString(System.Globalization.CultureInfo.InvariantCulture)), Encoding.UTF8.GetBytes(line), (int?)null);
        }));
        return (topic, lines);
    }

    private async Task<List<WindowResult<int, long>>> FileRunAsync(List<string> lines)
    {
        var file = Path.Combine(_directory, Guid.NewGuid().ToString("N") + ".jsonl");
        await File.WriteAllLinesAsync(file, lines);
        await using var source = new FileSource(file);
        var results = new ConcurrentQueue<WindowResult<int, long>>();
        var runner = new PipelineRunner<Reading>(Instance.Build(results), source, new JsonLinesDecoder<Reading>(Reading.Map), new ListDeadLetters());
        await runner.RunAsync().WaitAsync(s_timeout);
        Assert.True(results.Count > 100, $"only {results.Count} results");
        return Sorted(results);
    }

    private static List<WindowResult<int, long>> Sorted(IEnumerable<WindowResult<int, long>> results) =>
        [.. results.OrderBy(static r => r.Start).ThenBy(static r => r.Key).ThenBy(static r => r.Value)];

    private sealed class Instance
    {
        private readonly ConcurrentQueue<WindowResult<int, long>> _results = new();

        /// <param name="progress">Notified on each record decoded and each call to the state store.</param>
        public Instance(string bootstrap, string topic, string group, IStateStore store, int recordsPerMillisecond, Pulse? progress = null)
        {
            progress ??= new Pulse();
            Store = new ObservedStateStore(store, progress);
            Runner = new KafkaPartitionedRunner<Reading>(new KafkaPartitionedRunnerOptions<Reading>
            {
                Source = new KafkaSourceOptions
                {
                    BootstrapServers = bootstrap,
                    Topics = [topic],
                    GroupId = group,
                    Bounded = true,
                    PollInterval = TimeSpan.FromMilliseconds(50),
                    Config = new Dictionary<string, string> { ["session.timeout.ms"] = "6000", ["heartbeat.interval.ms"] = "300" },
                },
                PipelineFactory = partition =>
                {
                    PipelinesBuilt.Add(partition);
                    return Build(_results);
                },
                DecoderFactory = () => new SlowDecoder(recordsPerMillisecond, progress),
                DeadLetters = new ListDeadLetters(),
                StateStore = Store,
                StateKeyPrefix = "job",
                MaxParallelism = 2,
                Runner = new PipelineRunnerOptions { BatchSize = 100, CheckpointEveryBatches = 3, CheckpointInterval = TimeSpan.FromMilliseconds(500) },
            });
        }

        public KafkaPartitionedRunner<Reading> Runner { get; }

        /// <summary>This instance's view of the shared store: what it loaded and saved, in order.</summary>
        public ObservedStateStore Store { get; }

        public ConcurrentBag<string> PipelinesBuilt { get; } = [];

        public IEnumerable<WindowResult<int, long>> Results => _results;

        public static Pipeline<Reading> Build(ConcurrentQueue<WindowResult<int, long>> results) =>
            StreamPipeline.Create<Reading>(static r => r.Ts)
                .KeyBy(static r => r.Sensor)
                .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
                .Aggregate(static a => a.Count())
                .To(new QueueSink<WindowResult<int, long>>(results));
    }

    /// <summary>Thread-safe: the partitions' pipelines share it.</summary>
    private sealed class QueueSink<T>(ConcurrentQueue<T> queue) : IRecordSink<T>
    {
        public void Write(ReadOnlySpan<T> records)
        {
            foreach (var record in records)
            {
                queue.Enqueue(record);
            }
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    /// <summary>
    /// Decodes JSON lines, sleeping a millisecond every few records so that a run lasts long enough to rebalance in (a
    /// throttle, not a wait: no test outcome depends on its length), and notifies <paramref name="progress"/> per record.
    /// </summary>
    private sealed class SlowDecoder(int recordsPerMillisecond, Pulse progress) : IRecordDecoder<Reading>
    {
        private readonly JsonLinesDecoder<Reading> _inner = new(Reading.Map);
        private int _count;

        public bool TryDecode(ReadOnlySpan<byte> payload, ref Reading record, out string? error)
        {
            progress.Notify();
            if (++_count % recordsPerMillisecond == 0)
            {
                Thread.Sleep(1);
            }

            return _inner.TryDecode(payload, ref record, out error);
        }
    }
}
