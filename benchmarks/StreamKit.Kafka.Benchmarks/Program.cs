using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Clickstream;
using Confluent.Kafka;
using StreamKit.Codecs;
using StreamKit.Kafka;
using StreamKit.Records;
using StreamKit.Runtime;

// Kafka end to end on the mock broker (eng/test-peers.sh), all variants over the same pre-produced topic, in one run:
//   consume-only     Confluent.Kafka consumer loop, nothing else: the ceiling of reading.
//   passthrough      the bare Confluent.Kafka consume+produce loop: every message read and written again.
//   hand-written     consume, parse with Utf8JsonReader, count views per page per minute in a Dictionary, produce the
//                    results: the same job as StreamKit's, written by hand (the practical limit).
//   streamkit        KafkaSource -> Q2 (views per page per minute) -> KafkaSink, built with the sample's KafkaJobs; a
//                    line per round says where its time went (start to first record, reading, end, disposal, pauses).
// The last line is issue 11's target: streamkit's median over consume-only's, at least 0.8.
// usage: dotnet run -c Release --project benchmarks/StreamKit.Kafka.Benchmarks -- [--messages 120000] [--rounds 3] [--warmup 1] [--bootstrap B]
// The mock broker keeps 5 MiB per partition and silently drops older data (librdkafka's limit, not configurable):
// 120,000 messages of ~100 B over 4 partitions stay well below it (about 3.2 MiB each); of 200,000 it kept 188,185.
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

var messages = int.Parse(options.GetValueOrDefault("messages", "120000"), CultureInfo.InvariantCulture);
var rounds = int.Parse(options.GetValueOrDefault("rounds", "3"), CultureInfo.InvariantCulture);
var warmup = int.Parse(options.GetValueOrDefault("warmup", "1"), CultureInfo.InvariantCulture);
var bootstrap = options.GetValueOrDefault("bootstrap") ?? Environment.GetEnvironmentVariable("STREAMKIT_KAFKA_BOOTSTRAP") ?? StartBroker();
if (Library.VersionString != "2.16.0")
{
    Console.Error.WriteLine($"librdkafka {Library.VersionString} loaded; expected 2.16.0");
    return 1;
}

var input = $"bench-clicks-{Guid.NewGuid():N}";
Console.Error.WriteLine($"producing {messages:N0} click events to {input} (4 partitions) on {bootstrap} ...");
var bytes = Produce(bootstrap, input, messages);
Console.Error.WriteLine($"  {bytes / (double)messages:F0} bytes per message");

var variants = new (string Name, Func<string, string, Task<long>> Run)[]
{
    ("consume-only", (b, t) => Task.FromResult(Bare.ConsumeOnly(b, t))),
    ("passthrough", (b, t) => Task.FromResult(Bare.Passthrough(b, t, t + "-copy-" + Guid.NewGuid().ToString("N")))),
    ("hand-written", (b, t) => Task.FromResult(Bare.HandWritten(b, t, t + "-hand-" + Guid.NewGuid().ToString("N")))),
    ("streamkit", StreamKitRun),
};
var results = variants.ToDictionary(v => v.Name, _ => new List<(double Rate, double BytesPerMessage)>());
for (var round = 1 - warmup; round <= rounds; round++)
{
    foreach (var (name, run) in variants)
    {
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var started = Stopwatch.GetTimestamp();
        var read = await run(bootstrap, input);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var perMessage = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)messages;
        if (read != messages)
        {
            Console.Error.WriteLine($"{name}: read {read:N0} of {messages:N0} (the mock broker keeps 5 MiB per partition and drops older data: lower --messages)");
            return 1;
        }

        if (round > 0)
        {
            results[name].Add((messages / seconds, perMessage));
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(round > 0 ? $"round {round}" : "warm-up")} {name,-13} {messages / seconds,12:N0} msg/s  {seconds,6:F2} s  {perMessage,7:F0} B/msg allocated"));
    }
}

double Median(string name) => results[name].Select(r => r.Rate).Order().ElementAt(rounds / 2);
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{messages:N0} messages, {bytes / (double)messages:F0} B each, 4 partitions, median of {rounds} rounds after {warmup} warm-up; {Environment.ProcessorCount} cores, .NET {Environment.Version}, librdkafka {Library.VersionString}"));
Console.WriteLine();
Console.WriteLine("| variant | messages/s (median) | min | max | allocated B/msg | StreamKit ÷ variant |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: |");
foreach (var (name, _) in variants)
{
    var rates = results[name].Select(r => r.Rate).ToList();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {Median(name):N0} | {rates.Min():N0} | {rates.Max():N0} | {results[name].Select(r => r.BytesPerMessage).Average():F0} | {Median("streamkit") / Median(name):F2} |"));
}

// Issue 11's Kafka target: StreamKit's consume -> aggregate -> produce at least 0.8x the bare consume loop.
var ratio = Median("streamkit") / Median("consume-only");
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"streamkit / consume-only = {ratio:F2} (target >= 0.80: {(ratio >= 0.8 ? "met" : "not met")})"));
return 0;

async Task<long> StreamKitRun(string b, string topic)
{
    var output = $"{topic}-sk-{Guid.NewGuid():N}";
    var deadLetters = Path.Combine(Path.GetTempPath(), $"{output}.deadletters.jsonl");
    var started = Stopwatch.GetTimestamp();
    var source = KafkaJobs.CreateSource(new KafkaAddress(b, topic, $"bench-{Guid.NewGuid():N}"), bounded: true);
    var timed = new TimedSource(source);
    RunnerCounters counters;
    await using (var sink = KafkaJobs.CreateSink(new KafkaAddress(b, output, null), Formats.PageWindow, KafkaJobs.WindowKey))
    {
        await using (timed)
        {
            using var dead = new JsonLinesDeadLetterSink(deadLetters);
            var runner = new PipelineRunner<ClickEvent>(Queries.Tumbling(sink), timed, new JsonLinesDecoder<ClickEvent>(ClickEvents.Map), dead, null);
            await runner.RunAsync();
            counters = runner.Counters;
            timed.Finished = Stopwatch.GetTimestamp();
        }
    }

    var done = Stopwatch.GetTimestamp();
    File.Delete(deadLetters);
    double Ms(long from, long to) => Stopwatch.GetElapsedTime(from, to).TotalMilliseconds;
    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  streamkit: to first record {Ms(started, timed.FirstData):F0} ms, reading {Ms(timed.FirstData, timed.LastData):F0} ms, to end {Ms(timed.LastData, timed.Ended):F0} ms, runner end {Ms(timed.Ended, timed.Finished):F0} ms, dispose {Ms(timed.Finished, done):F0} ms; {timed.Batches:N0} batches ({timed.Empty} empty), {source.Pauses} pauses"));
    return counters.Read;
}

static string StartBroker()
{
    for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
    {
        var script = Path.Combine(directory.FullName, "eng", "test-peers.sh");
        if (File.Exists(script))
        {
            var info = new ProcessStartInfo(script, ["start", "kafka"]) { RedirectStandardOutput = true };
            using var process = Process.Start(info)!;
            var stdout = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1].Trim() : throw new InvalidOperationException("eng/test-peers.sh start kafka failed");
        }
    }

    throw new InvalidOperationException("no eng/test-peers.sh found; pass --bootstrap");
}

static long Produce(string bootstrap, string topic, int count)
{
    string[] countries = ["US", "FR", "GB", "DE", "JP", "BR", "IN", "CA"];
    var random = new Random(42);
    using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, LingerMs = 20, BatchSize = 1 << 20 }).Build();
    var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    long bytes = 0;
    for (var i = 0; i < count; i++)
    {
        var roll = random.Next(100);
        var type = roll < 70 ? "view" : roll < 95 ? "click" : "purchase";
        var ts = start + (i * 20L) + random.Next(2000); // 50 events/s of event time, up to 2 s out of order
        var json = string.Create(CultureInfo.InvariantCulture,
            $"{{\"ts\":{ts},\"userId\":{random.Next(1, 5000)},\"pageId\":{random.Next(1, 200)},\"eventType\":\"{type}\",\"durationMs\":{random.Next(60_000)},\"country\":\"{countries[random.Next(countries.Length)]}\"}}");
        var value = Encoding.UTF8.GetBytes(json);
        bytes += value.Length;
        while (true)
        {
            try
            {
                producer.Produce(new TopicPartition(topic, i % 4), new Message<Null, byte[]> { Value = value });
                break;
            }
            catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(5));
            }
        }
    }

    if (producer.Flush(TimeSpan.FromMinutes(2)) != 0)
    {
        throw new InvalidOperationException("producing the benchmark topic did not finish");
    }

    return bytes;
}

/// <summary>The Confluent.Kafka loops StreamKit is measured against.</summary>
internal static class Bare
{
    public static long ConsumeOnly(string bootstrap, string topic)
    {
        long read = 0;
        ReadAll(bootstrap, topic, _ => read++);
        return read;
    }

    public static long Passthrough(string bootstrap, string topic, string output)
    {
        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true }).Build();
        long read = 0;
        ReadAll(bootstrap, topic, message =>
        {
            read++;
            while (true)
            {
                try
                {
                    producer.Produce(output, new Message<Null, byte[]> { Value = message.Value });
                    return;
                }
                catch (ProduceException<Null, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(1));
                }
            }
        });
        producer.Flush(TimeSpan.FromMinutes(2));
        return read;
    }

    /// <summary>Views per page per minute by hand: the same answer as Q2 on this data (nothing is late by more than 5 s).</summary>
    public static long HandWritten(string bootstrap, string topic, string output)
    {
        var counts = new Dictionary<(long Start, int Page), long>();
        long read = 0;
        ReadAll(bootstrap, topic, message =>
        {
            read++;
            var reader = new Utf8JsonReader(message.Value);
            long ts = 0;
            var page = 0;
            var view = false;
            while (reader.Read())
            {
                if (reader.TokenType != JsonTokenType.PropertyName)
                {
                    continue;
                }

                if (reader.ValueTextEquals("ts"u8))
                {
                    reader.Read();
                    ts = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("pageId"u8))
                {
                    reader.Read();
                    page = reader.GetInt32();
                }
                else if (reader.ValueTextEquals("eventType"u8))
                {
                    reader.Read();
                    view = reader.ValueTextEquals("view"u8);
                }
                else
                {
                    reader.Skip();
                }
            }

            if (view)
            {
                var key = (ts - (ts % 60_000), page);
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }
        });

        using var producer = new ProducerBuilder<Null, byte[]>(new ProducerConfig { BootstrapServers = bootstrap, EnableIdempotence = true }).Build();
        foreach (var ((start, page), count) in counts)
        {
            producer.Produce(output, new Message<Null, byte[]> { Value = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"windowStart\":{start},\"pageId\":{page},\"count\":{count}}}")) });
        }

        producer.Flush(TimeSpan.FromMinutes(2));
        return read;
    }

    /// <summary>Reads every partition from the beginning to the end offsets seen at start, then commits, as a bounded job does.</summary>
    private static void ReadAll(string bootstrap, string topic, Action<Message<Ignore, byte[]>> onMessage)
    {
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(new ConsumerConfig
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-" + Guid.NewGuid().ToString("N"),
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            ConsumeResultFields = "timestamp",
        }).Build();
        var partitions = Enumerable.Range(0, 4).Select(p => new TopicPartition(topic, p)).ToList();
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(30)).High.Value);
        var remaining = ends.Count(e => e.Value > 0);
        var last = new long[4];
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        while (remaining > 0)
        {
            var result = consumer.Consume(100);
            if (result is null)
            {
                continue;
            }

            onMessage(result.Message);
            last[result.Partition.Value] = result.Offset.Value;
            if (result.Offset.Value == ends[result.Partition.Value] - 1)
            {
                remaining--;
            }
        }

        consumer.Commit(partitions.Select(p => new TopicPartitionOffset(p, last[p.Partition.Value] + 1)));
    }
}

/// <summary>Times a source's phases for the benchmark's diagnostics line.</summary>
internal sealed class TimedSource(IRecordSource inner) : IRecordSource
{
    public long FirstData { get; private set; }
    public long LastData { get; private set; }
    public long Ended { get; private set; }
    public long Finished { get; set; }
    public long Batches { get; private set; }
    public long Empty { get; private set; }

    public string Name => inner.Name;

    public IReadOnlyList<string> Partitions => inner.Partitions;

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.SeekAsync(positions, cancellationToken);

    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        var more = await inner.ReadAsync(batch, cancellationToken);
        var now = Stopwatch.GetTimestamp();
        if (!more)
        {
            Ended = now;
        }
        else if (batch.Count > 0)
        {
            Batches++;
            FirstData = FirstData == 0 ? now : FirstData;
            LastData = now;
        }
        else
        {
            Empty++;
        }

        return more;
    }

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.CommitAsync(positions, cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
