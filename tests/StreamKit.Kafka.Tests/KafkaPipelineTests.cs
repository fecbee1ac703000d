using System.IO.Compression;
using System.Text;
using Clickstream;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.Kafka.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.Windows;

namespace StreamKit.Kafka.Tests;

/// <summary>Whole pipelines: Kafka in, Kafka out, through the runner.</summary>
[Collection(KafkaBroker.Collection)]
[Trait("Category", "Integration")]
public sealed class KafkaPipelineTests(KafkaBroker broker) : IDisposable
{
    internal static readonly string EventsPath = Path.Combine(AppContext.BaseDirectory, "Data", "events.jsonl.gz");
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(90);
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-kafka-").FullName;

    /// <summary>The sample's output format for page windows (as its Program.cs writes them).</summary>
    internal static RecordMap<WindowResult<int, long>> PageWindow { get; } = new RecordMap<WindowResult<int, long>>()
        .Int64("windowStart", null, static (in WindowResult<int, long> r) => r.Start)
        .Int32("pageId", null, static (in WindowResult<int, long> r) => r.Key)
        .Int64("count", null, static (in WindowResult<int, long> r) => r.Value);

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Clickstream_TumblingFromTopicToTopic_EqualsTheFileRun()
    {
        var input = KafkaBroker.UniqueTopic("clicks");
        var output = KafkaBroker.UniqueTopic("clicks-per-page");
        var lines = ReadEventLines();
        KafkaTestClient.ProduceLines(broker.BootstrapServers, input, lines); // round-robin: every partition out of step with the others

        var expected = await FileRunAsync(Queries.Tumbling);
        var counters = await Jobs.RunQueryAsync(
            "tumbling",
            $"kafka://{broker.BootstrapServers}/{input}?group=g-{Guid.NewGuid():N}",
            $"kafka://{broker.BootstrapServers}/{output}",
            Path.Combine(_directory, "kafka-deadletters.jsonl"),
            bounded: true).WaitAsync(s_timeout);

        Assert.Equal(lines.Count, counters.Read);
        Assert.Equal(3, counters.DeadLettered); // the data set's malformed lines, as in the file run
        var actual = KafkaTestClient.ReadAll(broker.BootstrapServers, output).Select(m => KafkaTestClient.Text(m.Message.Value)).ToList();
        Assert.True(expected.Count > 1000, $"only {expected.Count} results");
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Windows_PartitionsReadInBigBatches_NoEventIsLate()
    {
        var input = KafkaBroker.UniqueTopic("aligned");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, input, Enumerable.Range(0, 8000).Select(i => Reading.Json(1_700_000_000_000 + (i * 250L), i % 5, 1)));

        await using var source = new KafkaSource(KafkaSourceTests.Options(broker.BootstrapServers, input, bounded: true));
        var results = new ListSink<WindowResult<int, long>>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts, new PipelineOptions { MaxOutOfOrderness = TimeSpan.FromSeconds(1) })
            .KeyBy(static r => r.Sensor)
            .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
            .Aggregate(static a => a.Count())
            .To(results);
        var runner = new PipelineRunner<Reading>(pipeline, source, new JsonLinesDecoder<Reading>(Reading.Map), new ListDeadLetters(), new PipelineRunnerOptions { BatchSize = 1000 });
        await runner.RunAsync().WaitAsync(s_timeout);

        Assert.Equal(0, pipeline.Counters.Late);
        Assert.Equal(8000, results.Items.Sum(r => r.Value));
    }

    [Theory]
    [InlineData("head-in-partition-1")]
    [InlineData("quarters-newest-first")]
    public async Task Bounded_PartitionsHoldDisjointTimeRanges_EqualsTheFileRunWithNoLateEvent(string layout)
    {
        var input = KafkaBroker.UniqueTopic("disjoint");
        var lines = ReadEventLines().GetRange(0, 20_000);
        Func<int, int> partitionOf = layout switch
        {
            // The first ~575 s of events in partition 1, the rest in partition 0; partitions 2 and 3 stay empty.
            "head-in-partition-1" => i => i < 5_000 ? 1 : 0,

            // Four consecutive stretches of event time, the newest in partition 0 and the oldest in partition 3.
            "quarters-newest-first" => i => 3 - (i * 4 / lines.Count),
            _ => throw new ArgumentOutOfRangeException(nameof(layout)),
        };
        KafkaTestClient.Produce(broker.BootstrapServers, input, lines.Select((line, i) => ((byte[]?)null, Encoding.UTF8.GetBytes(line), (int?)partitionOf(i))));
        var file = Path.Combine(_directory, "events.jsonl");
        await File.WriteAllLinesAsync(file, lines);

        await using var fileSource = new FileSource(file);
        var expected = await TumblingRunAsync(fileSource);
        await using var kafkaSource = KafkaJobs.CreateSource(new KafkaAddress(broker.BootstrapServers, input, "g-" + Guid.NewGuid().ToString("N")), bounded: true);
        var actual = await TumblingRunAsync(kafkaSource);

        Assert.Equal(0, expected.Late);
        Assert.Equal(0, actual.Late);
        Assert.Equal(lines.Count, actual.Read);
        Assert.Equal(expected.DeadLettered, actual.DeadLettered);
        Assert.True(expected.Results.Count > 1000, $"only {expected.Results.Count} results");
        Assert.Equal(expected.Results.Order(StringComparer.Ordinal), actual.Results.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RunQueryAsync_FileToKafka_WritesWhatTheFileOutputHolds()
    {
        var output = KafkaBroker.UniqueTopic("engagement");
        var file = Path.Combine(_directory, "engagement.jsonl");
        await Jobs.RunQueryAsync("filter", EventsPath, file, Path.Combine(_directory, "a.deadletters.jsonl"), bounded: true).WaitAsync(s_timeout);
        await Jobs.RunQueryAsync("filter", EventsPath, $"kafka://{broker.BootstrapServers}/{output}", Path.Combine(_directory, "b.deadletters.jsonl"), bounded: true).WaitAsync(s_timeout);

        var message = Assert.Single(KafkaTestClient.ReadAll(broker.BootstrapServers, output));
        Assert.Equal(Assert.Single(await File.ReadAllLinesAsync(file)), KafkaTestClient.Text(message.Message.Value));
        Assert.StartsWith("{\"count\":", KafkaTestClient.Text(message.Message.Value), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EventTime_MessageTimestamp_WindowsByTheKafkaTimestampNotThePayload()
    {
        var input = KafkaBroker.UniqueTopic("by-message-time");
        const long messageTime = 1_650_000_000_000; // a minute boundary; the payloads say otherwise
        KafkaTestClient.Produce(broker.BootstrapServers, input,
            Enumerable.Range(0, 300).Select(i => ((byte[]?)null, Encoding.UTF8.GetBytes(Reading.Json(1_700_000_000_000 + i, 1, 1)), (int?)(i % 4))), messageTime);

        var options = KafkaSourceTests.Options(broker.BootstrapServers, input, bounded: true);
        options.EventTime = KafkaEventTime.MessageTimestamp;
        await using var source = new KafkaSource(options);
        var results = new ListSink<WindowResult<int, long>>();
        var pipeline = StreamPipeline.Create<Reading>()
            .KeyBy(static r => r.Sensor)
            .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
            .Aggregate(static a => a.Count())
            .To(results);
        var runner = new PipelineRunner<Reading>(pipeline, source, new JsonLinesDecoder<Reading>(Reading.Map), new ListDeadLetters(), new PipelineRunnerOptions().UseEventTimeOf(source));
        await runner.RunAsync().WaitAsync(s_timeout);

        var window = Assert.Single(results.Items);
        Assert.Equal((messageTime, 300L), (window.Start, window.Value));
    }

    [Fact]
    public async Task PoisonMessage_GoesToTheDeadLetterTopic_AndThePartitionKeepsMoving()
    {
        var input = KafkaBroker.UniqueTopic("readings");
        var deadLetterTopic = KafkaBroker.UniqueTopic("readings-dlq");
        var poison = "{\"ts\":1700000000000,\"sensor\":\"not a number\"}"u8.ToArray();
        var messages = Enumerable.Range(0, 101).Select(i => i == 50
            ? ("bad"u8.ToArray(), poison, (int?)0)
            : ((byte[]?)null, Encoding.UTF8.GetBytes(Reading.Json(1_700_000_000_000 + i, i % 3, 1)), (int?)0));
        KafkaTestClient.Produce(broker.BootstrapServers, input, messages, timestamp: 1_600_000_000_000);

        var sourceOptions = KafkaSourceTests.Options(broker.BootstrapServers, input, bounded: true);
        await using var source = new KafkaSource(sourceOptions);
        await using var deadLetters = new KafkaDeadLetterSink(new KafkaDeadLetterSinkOptions { BootstrapServers = broker.BootstrapServers, Topic = deadLetterTopic });
        var results = new ListSink<WindowResult<int, long>>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts)
            .KeyBy(static r => r.Sensor)
            .Window(WindowSpec.Global)
            .Aggregate(static a => a.Count())
            .To(results);
        var runner = new PipelineRunner<Reading>(pipeline, source, new JsonLinesDecoder<Reading>(Reading.Map), deadLetters, new PipelineRunnerOptions { BatchSize = 16 });
        await runner.RunAsync().WaitAsync(s_timeout);

        Assert.Equal(100, results.Items.Sum(r => r.Value)); // every message after the poison too
        Assert.Equal(1, runner.Counters.DeadLettered);
        var letter = Assert.Single(KafkaTestClient.ReadAll(broker.BootstrapServers, deadLetterTopic));
        Assert.Equal(poison, letter.Message.Value);
        Assert.Equal("bad", KafkaTestClient.Text(letter.Message.Key));
        Assert.Equal(1_600_000_000_000, letter.Message.Timestamp.UnixTimestampMs);
        string Header(string name) => Encoding.UTF8.GetString(letter.Message.Headers.GetLastBytes(name));
        Assert.Equal(input, Header(KafkaDeadLetterSink.TopicHeader));
        Assert.Equal("0", Header(KafkaDeadLetterSink.KafkaPartitionHeader));
        Assert.Equal("50", Header(KafkaDeadLetterSink.OffsetHeader));
        Assert.Equal($"{input}-0", Header(KafkaDeadLetterSink.PartitionHeader));
        Assert.Equal($"kafka:{input}", Header(KafkaDeadLetterSink.SourceHeader));
        Assert.Contains("sensor", Header(KafkaDeadLetterSink.ReasonHeader), StringComparison.Ordinal);

        // The final checkpoint committed past the poison: a restarted consumer would not stop on it again.
        Assert.Equal(101, KafkaTestClient.Committed(broker.BootstrapServers, sourceOptions.GroupId, input)[0]);
    }

    [Fact]
    public async Task Transactional_KafkaToKafka_CommitsOutputStateAndOffsetsThroughOneProducer()
    {
        var input = KafkaBroker.UniqueTopic("tx-in");
        var output = KafkaBroker.UniqueTopic("tx-out");
        var stateTopic = KafkaBroker.UniqueTopic("tx-state");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, input, Enumerable.Range(0, 2000).Select(i => Reading.Json(1_700_000_000_000 + (i * 500L), i % 10, 1)));

        using var producer = new KafkaProducer(new KafkaProducerOptions { BootstrapServers = broker.BootstrapServers, TransactionalId = "tx-" + Guid.NewGuid().ToString("N") });
        var sourceOptions = KafkaSourceTests.Options(broker.BootstrapServers, input, bounded: true);
        sourceOptions.TransactionalProducer = producer;
        await using var source = new KafkaSource(sourceOptions);
        await using var sink = new KafkaSink<WindowResult<int, long>>(producer, new KafkaSinkOptions<WindowResult<int, long>>
        {
            Topic = output,
            Encoder = new JsonLinesEncoder<WindowResult<int, long>>(PageWindow),
        });
        await using var deadLetters = new KafkaDeadLetterSink(producer, new KafkaDeadLetterSinkOptions { Topic = output + "-dlq" });
        var store = new KafkaStateStore(producer, new KafkaStateStoreOptions { BootstrapServers = broker.BootstrapServers, Topic = stateTopic });
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts)
            .KeyBy(static r => r.Sensor)
            .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
            .Aggregate(static a => a.Count())
            .To(sink);
        var runner = new PipelineRunner<Reading>(pipeline, source, new JsonLinesDecoder<Reading>(Reading.Map), deadLetters,
            new PipelineRunnerOptions { StateStore = store, StateKey = "tx-job", BatchSize = 100, CheckpointEveryBatches = 4 });
        await runner.RunAsync().WaitAsync(s_timeout);

        // What the mock broker can show: every call succeeded, the output is there, the snapshot reads back.
        // What it cannot: that read_committed readers see nothing of an aborted transaction, and that the offsets sent
        // in the transaction are stored (the mock accepts both and honours neither; see docs/kafka.md).
        Assert.True(runner.Counters.Checkpoints >= 5);
        var results = KafkaTestClient.ReadAll(broker.BootstrapServers, output).Select(m => KafkaTestClient.Text(m.Message.Value)).ToList();
        Assert.Equal(2000, results.Sum(r => long.Parse(r[(r.LastIndexOf(':') + 1)..^1], System.Globalization.CultureInfo.InvariantCulture)));
        var loaded = await new KafkaStateStore(producer, new KafkaStateStoreOptions { BootstrapServers = broker.BootstrapServers, Topic = stateTopic }).LoadAsync("tx-job");
        Assert.NotNull(loaded);
        Assert.Equal(runner.Counters.Checkpoints.ToString(System.Globalization.CultureInfo.InvariantCulture), loaded.Value.Version);
    }

    [Fact]
    public async Task Repartition_ByAggregationKey_PutsEveryKeyInOnePartition()
    {
        var input = KafkaBroker.UniqueTopic("unkeyed");
        var intermediate = KafkaBroker.UniqueTopic("by-sensor");
        KafkaTestClient.ProduceLines(broker.BootstrapServers, input, Enumerable.Range(0, 1200).Select(i => Reading.Json(1_700_000_000_000 + i, i % 9, i)));

        await using var source = new KafkaSource(KafkaSourceTests.Options(broker.BootstrapServers, input, bounded: true));
        await using var sink = new KafkaSink<Reading>(new KafkaSinkOptions<Reading>
        {
            BootstrapServers = broker.BootstrapServers,
            Topic = intermediate,
            Encoder = new JsonLinesEncoder<Reading>(Reading.Map),
            Key = Reading.WriteKey,
            Timestamp = static (in Reading r) => r.Ts, // event time travels as the message timestamp
        });
        var runner = KafkaRepartition.CreateRunner(source, new JsonLinesDecoder<Reading>(Reading.Map), sink, new ListDeadLetters());
        await runner.RunAsync().WaitAsync(s_timeout);

        var messages = KafkaTestClient.ReadAll(broker.BootstrapServers, intermediate);
        Assert.Equal(1200, messages.Count);
        Assert.Equal(9, messages.GroupBy(m => KafkaTestClient.Text(m.Message.Key)).Count());
        Assert.All(messages.GroupBy(m => KafkaTestClient.Text(m.Message.Key)), g => Assert.Single(g.Select(m => m.Partition.Value).Distinct()));
        Assert.All(messages, m => Assert.Contains($"\"ts\":{m.Message.Timestamp.UnixTimestampMs},", KafkaTestClient.Text(m.Message.Value), StringComparison.Ordinal));
    }

    internal static List<string> ReadEventLines()
    {
        using var file = File.OpenRead(EventsPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    /// <summary>The same query over the same events read from the file, encoded as the Kafka run's messages are.</summary>
    internal static async Task<List<string>> FileRunAsync(Func<IRecordSink<WindowResult<int, long>>, PipelineOptions?, Pipeline<ClickEvent>> query)
    {
        var results = new ListSink<WindowResult<int, long>>();
        await using var source = new FileSource(EventsPath);
        var runner = new PipelineRunner<ClickEvent>(query(results, null), source, new JsonLinesDecoder<ClickEvent>(ClickEvents.Map), new ListDeadLetters());
        await runner.RunAsync();
        Assert.Equal(3, runner.Counters.DeadLettered);
        return Encode(results.Items);
    }

    /// <summary>Q2 (views per page per minute) over <paramref name="source"/>: its results encoded as the Kafka run's messages are, and what was late.</summary>
    private static async Task<(List<string> Results, long Late, long Read, long DeadLettered)> TumblingRunAsync(IRecordSource source)
    {
        var results = new ListSink<WindowResult<int, long>>();
        var pipeline = Queries.Tumbling(results);
        var runner = new PipelineRunner<ClickEvent>(pipeline, source, new JsonLinesDecoder<ClickEvent>(ClickEvents.Map), new ListDeadLetters());
        await runner.RunAsync().WaitAsync(s_timeout);
        return (Encode(results.Items), pipeline.Counters.Late, runner.Counters.Read, runner.Counters.DeadLettered);
    }

    private static List<string> Encode(List<WindowResult<int, long>> results)
    {
        var encoder = new JsonLinesEncoder<WindowResult<int, long>>(PageWindow);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var lines = new List<string>();
        foreach (var result in results)
        {
            buffer.ResetWrittenCount();
            encoder.Encode(result, buffer);
            lines.Add(Encoding.UTF8.GetString(buffer.WrittenSpan).TrimEnd('\n'));
        }

        return lines;
    }
}
