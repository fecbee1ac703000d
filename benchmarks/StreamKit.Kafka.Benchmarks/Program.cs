using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;
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
// Like with like: every variant reads the same pre-produced topic, all of its messages, from offset 0 to the end offsets
// seen at start, with a fresh consumer group, and its time runs from creating its clients to disposing them. The bare
// loops' consumers get the librdkafka settings StreamKit's source sets that bear on fetching (Bare.ConsumerSettings).
// The last lines are issue 11's target: streamkit over consume-only, at least 0.8 — the ratio of the two variants'
// medians, and the median of the ratios within each round (the two ran seconds apart, so the machine's load at the
// time weighs on both alike). CPU time per message (the whole process, librdkafka's threads included) is less
// sensitive to other work on the machine than wall-clock rates; the JIT's compilation time during a round says whether
// the warm-up was long enough (tiering goes on compiling in the background while the machine is loaded).
// usage: dotnet run -c Release --project benchmarks/StreamKit.Kafka.Benchmarks -- [--messages 120000] [--rounds 3] [--warmup 1]
//        [--max-warmup 6] [--quiet-jit-ms 50] [--bootstrap B] [--variants consume-only,streamkit]
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

var only = options.GetValueOrDefault("variants")?.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
var variants = new (string Name, Func<string, string, Task<long>> Run)[]
{
    ("consume-only", (b, t) => Task.FromResult(Bare.ConsumeOnly(b, t))),
    ("passthrough", (b, t) => Task.FromResult(Bare.Passthrough(b, t, t + "-copy-" + Guid.NewGuid().ToString("N")))),
    ("hand-written", (b, t) => Task.FromResult(Bare.HandWritten(b, t, t + "-hand-" + Guid.NewGuid().ToString("N")))),
    ("streamkit", StreamKitRun),
}.Where(v => only is null || only.Contains(v.Name)).ToArray();
Console.Error.WriteLine($"every variant reads all {messages:N0} messages of {input} from offset 0; bare consumers: {string.Join(", ", Bare.ConsumerSettings.Select(s => $"{s.Key}={s.Value}"))}, otherwise librdkafka's defaults");
var results = variants.ToDictionary(v => v.Name, _ => new List<(double Rate, double BytesPerMessage, double CpuMicrosPerMessage)>());
var threadResults = variants.ToDictionary(v => v.Name, _ => new List<Dictionary<string, double>>());
using var process = Process.GetCurrentProcess();
using var threadCpu = ThreadCpu.Start();

// Warm-up rounds go on, up to --max-warmup, until one compiles for less than --quiet-jit-ms: tiered compilation
// recompiles hot methods in the background, and on a loaded machine it goes on for several rounds, taking CPU from
// whichever variant runs at the time (measured: 100-400 ms of JIT in each of the first rounds after one warm-up).
var maxWarmup = int.Parse(options.GetValueOrDefault("max-warmup", "6"), CultureInfo.InvariantCulture);
var quietJitMs = double.Parse(options.GetValueOrDefault("quiet-jit-ms", "50"), CultureInfo.InvariantCulture);
var warmups = 0;
while (true)
{
    var jitMs = await RunRoundAsync(0);
    if (jitMs < 0)
    {
        return 1;
    }

    warmups++;
    if (warmups >= maxWarmup || (warmups >= warmup && jitMs < quietJitMs))
    {
        break;
    }
}

for (var round = 1; round <= rounds; round++)
{
    if (await RunRoundAsync(round) < 0)
    {
        return 1;
    }
}

static double MedianOf(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}

double Median(string name) => MedianOf(results[name].Select(r => r.Rate));
Console.WriteLine();
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{messages:N0} messages, {bytes / (double)messages:F0} B each, 4 partitions, median of {rounds} rounds after {warmups} warm-up; {Environment.ProcessorCount} cores, .NET {Environment.Version}, librdkafka {Library.VersionString}"));
Console.WriteLine();
var hasStreamKit = results.ContainsKey("streamkit");
Console.WriteLine("| variant | messages/s (median) | min | max | allocated B/msg | CPU µs/msg (median) | StreamKit ÷ variant |");
Console.WriteLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
foreach (var (name, _) in variants)
{
    var rates = results[name].Select(r => r.Rate).ToList();
    var versus = hasStreamKit ? (Median("streamkit") / Median(name)).ToString("F2", CultureInfo.InvariantCulture) : "-";
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {Median(name):N0} | {rates.Min():N0} | {rates.Max():N0} | {results[name].Select(r => r.BytesPerMessage).Average():F0} | {MedianOf(results[name].Select(r => r.CpuMicrosPerMessage)):F2} | {versus} |"));
}

if (threadCpu is not null)
{
    // Where each variant's CPU went, by thread (medians over the rounds): the consume thread of StreamKit's source, the
    // .NET threads (a bare loop's own thread; StreamKit's pipeline, delivery reports, GC), librdkafka's threads, the
    // runtime's background compilation, and what the readings missed.
    Console.WriteLine();
    Console.WriteLine("| variant | " + string.Join(" | ", ThreadCpu.Groups.Select(g => $"{g} CPU µs/msg")) + " |");
    Console.WriteLine("| --- |" + string.Concat(ThreadCpu.Groups.Select(_ => " ---: |")));
    foreach (var (name, _) in variants)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {name} | {string.Join(" | ", ThreadCpu.Groups.Select(g => MedianOf(threadResults[name].Select(r => r.GetValueOrDefault(g))).ToString("F2", CultureInfo.InvariantCulture)))} |"));
    }
}

if (hasStreamKit && results.ContainsKey("consume-only"))
{
    // Issue 11's Kafka target: StreamKit's consume -> aggregate -> produce at least 0.8x the bare consume loop.
    var ratio = Median("streamkit") / Median("consume-only");
    var perRound = results["streamkit"].Zip(results["consume-only"], (s, c) => s.Rate / c.Rate).ToList();
    var cpuRatio = MedianOf(results["consume-only"].Select(r => r.CpuMicrosPerMessage)) / MedianOf(results["streamkit"].Select(r => r.CpuMicrosPerMessage));
    Console.WriteLine();
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"streamkit / consume-only = {ratio:F2} (target >= 0.80: {(ratio >= 0.8 ? "met" : "not met")})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"streamkit / consume-only within each round: median {MedianOf(perRound):F2} ({string.Join(", ", perRound.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))})"));
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"consume-only CPU / streamkit CPU per message = {cpuRatio:F2}"));
}

return 0;

// Runs every variant once; returns the JIT's compilation time over the round, or -1 when a variant read short.
async Task<double> RunRoundAsync(int round)
{
    double roundJitMs = 0;
    foreach (var (name, run) in variants)
    {
        GC.Collect();
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        process.Refresh();
        var cpu = process.TotalProcessorTime;
        var jit = System.Runtime.JitInfo.GetCompilationTime();
        threadCpu?.Begin();
        var started = Stopwatch.GetTimestamp();
        var read = await run(bootstrap, input);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var byThread = threadCpu?.End();
        process.Refresh();
        var cpuPerMessage = (process.TotalProcessorTime - cpu).TotalMicroseconds / messages;
        var jitMs = (System.Runtime.JitInfo.GetCompilationTime() - jit).TotalMilliseconds;
        var perMessage = (GC.GetTotalAllocatedBytes(precise: true) - allocated) / (double)messages;
        if (read != messages)
        {
            Console.Error.WriteLine($"{name}: read {read:N0} of {messages:N0} (the mock broker keeps 5 MiB per partition and drops older data: lower --messages)");
            return -1;
        }

        roundJitMs += jitMs;
        if (round > 0)
        {
            results[name].Add((messages / seconds, perMessage, cpuPerMessage));
        }

        if (byThread is not null)
        {
            // Unattributed: what the readings missed (a thread's time after its last reading, before it ended) and the
            // reading thread's own time.
            var perGroup = byThread.ToDictionary(g => g.Key, g => g.Value.TotalMicroseconds / messages);
            perGroup[ThreadCpu.Other] = Math.Max(0, cpuPerMessage - perGroup.Values.Sum());
            if (round > 0)
            {
                threadResults[name].Add(perGroup);
            }

            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {name} CPU µs/msg by thread: {string.Join(", ", ThreadCpu.Groups.Select(g => $"{g} {perGroup.GetValueOrDefault(g):F2}"))}"));
        }

        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(round > 0 ? $"round {round}" : "warm-up")} {name,-13} {messages / seconds,12:N0} msg/s  {seconds,6:F2} s  {perMessage,7:F0} B/msg allocated  {cpuPerMessage,5:F2} µs CPU/msg  {jitMs,4:F0} ms JIT"));
    }

    return roundJitMs;
}

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
    /// <summary>
    /// What the bare consumers set beyond librdkafka's defaults: the settings of StreamKit's source consumer that bear
    /// on fetching (<c>KafkaSourceConsumer</c>), so both fetch alike; its others (offset store off, partition EOF) change
    /// nothing here, the bare loop committing once at the end.
    /// </summary>
    /// <remarks>
    /// Not <c>enable.sparse.connections=false</c>, which StreamKit's source sets for its metadata request to any broker:
    /// the bare loop makes none, and with it its first <c>QueryWatermarkOffsets</c> stalled for about 710 ms in 8 of 99
    /// rounds (1 of 55 without), which would flatter StreamKit.
    /// </remarks>
    public static IReadOnlyDictionary<string, string> ConsumerSettings { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["fetch.wait.max.ms"] = "50",
        ["enable.auto.commit"] = "false",
        ["enable.auto.offset.store"] = "false",
        [ConfigPropertyNames.Consumer.ConsumeResultFields] = "timestamp",
    };

    public static long ConsumeOnly(string bootstrap, string topic)
    {
        long read = 0;
        long first = 0;
        long last = 0;
        var started = Stopwatch.GetTimestamp();
        ReadAll(bootstrap, topic, _ =>
        {
            last = Stopwatch.GetTimestamp();
            first = first == 0 ? last : first;
            read++;
        });
        var done = Stopwatch.GetTimestamp();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  consume-only: to first record {Stopwatch.GetElapsedTime(started, first).TotalMilliseconds:F0} ms, reading {Stopwatch.GetElapsedTime(first, last).TotalMilliseconds:F0} ms, commit and dispose {Stopwatch.GetElapsedTime(last, done).TotalMilliseconds:F0} ms"));
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
        var config = new ConsumerConfig(new Dictionary<string, string>(ConsumerSettings, StringComparer.Ordinal))
        {
            BootstrapServers = bootstrap,
            GroupId = "bench-" + Guid.NewGuid().ToString("N"),
        };
        using var consumer = new ConsumerBuilder<Ignore, byte[]>(config).Build();
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

/// <summary>
/// CPU time by thread while a variant runs (Linux only): each thread's time on CPU (<c>/proc/self/task/*/schedstat</c>,
/// nanoseconds, each file kept open and read again) read every 50 ms by a thread of its own, so threads that end within
/// the round count too, up to their last reading. Grouped by thread name: StreamKit's consume thread, librdkafka's
/// threads, the runtime's background compilation, and the process's other threads (.NET: the pool threads that run
/// StreamKit's pipeline or a bare loop, the main thread, the producer's delivery-report thread, GC).
/// </summary>
internal sealed class ThreadCpu : IDisposable
{
    public const string ConsumeThread = "consume thread";
    public const string Librdkafka = "librdkafka";
    public const string DotNet = ".NET";
    public const string Jit = "JIT";
    public const string Other = "unattributed";

    private const string ReaderName = "thread cpu";
    private const int NameChecks = 3;

    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(50);

    private readonly Lock _gate = new();
    private readonly Dictionary<int, Tracked> _threads = [];
    private readonly ManualResetEventSlim _stop = new(initialState: false, spinCount: 0); // spinning before each wait cost more than the readings
    private readonly Thread _reader;
    private readonly byte[] _buffer = new byte[256];
    private bool _running;

    private ThreadCpu()
    {
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = ReaderName };
        _reader.Start();
    }

    public static IReadOnlyList<string> Groups { get; } = [ConsumeThread, DotNet, Librdkafka, Jit, Other];

    /// <summary>Starts reading threads' CPU time, or returns null where <c>/proc/self/task/*/schedstat</c> is not available.</summary>
    public static ThreadCpu? Start() => File.Exists("/proc/self/schedstat") ? new ThreadCpu() : null;

    /// <summary>Starts a measurement: threads alive now count from their time now, threads started later from zero.</summary>
    public void Begin()
    {
        lock (_gate)
        {
            Forget();
            Read(initial: true);
            _running = true;
        }
    }

    /// <summary>Ends the measurement: CPU time per group since <see cref="Begin"/>.</summary>
    public Dictionary<string, TimeSpan> End()
    {
        lock (_gate)
        {
            Read(initial: false);
            _running = false;
            var groups = new Dictionary<string, TimeSpan>(StringComparer.Ordinal) { [ConsumeThread] = TimeSpan.Zero, [DotNet] = TimeSpan.Zero, [Librdkafka] = TimeSpan.Zero, [Jit] = TimeSpan.Zero };
            foreach (var thread in _threads.Values)
            {
                groups[thread.Group] += TimeSpan.FromTicks((thread.Last - thread.First) / 100);
            }

            return groups;
        }
    }

    public void Dispose()
    {
        _stop.Set();
        _reader.Join();
        _stop.Dispose();
        Forget();
    }

    private void Forget()
    {
        foreach (var thread in _threads.Values)
        {
            thread.Schedstat?.Dispose();
        }

        _threads.Clear();
    }

    private void ReadLoop()
    {
        while (!_stop.Wait(Period))
        {
            lock (_gate)
            {
                if (_running)
                {
                    Read(initial: false);
                }
            }
        }
    }

    private void Read(bool initial)
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc/self/task"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var tid))
            {
                continue;
            }

            _threads.TryGetValue(tid, out var thread);
            if (thread is { Schedstat: null })
            {
                continue; // the reading thread, or one that has ended
            }

            try
            {
                if (thread is null)
                {
                    thread = new Tracked { Schedstat = File.OpenHandle(Path.Combine(directory, "schedstat")) };
                    _threads[tid] = thread;
                    thread.First = initial ? ReadNanoseconds(thread.Schedstat) : 0;
                }

                thread.Last = ReadNanoseconds(thread.Schedstat!);
                if (thread.Sightings++ < NameChecks && thread.Group == DotNet)
                {
                    // A .NET thread is named just after it starts (until then it has its creator's name): one seen
                    // under another .NET thread's name is looked at again.
                    using var comm = File.OpenHandle(Path.Combine(directory, "comm"));
                    var name = Encoding.UTF8.GetString(_buffer, 0, RandomAccess.Read(comm, _buffer, 0)).TrimEnd('\n');
                    thread.Group = name.StartsWith("rdk:", StringComparison.Ordinal) ? Librdkafka
                        : name.StartsWith("StreamKit ", StringComparison.Ordinal) ? ConsumeThread
                        : name.StartsWith(".NET Tiered", StringComparison.Ordinal) ? Jit
                        : DotNet;
                    if (name == ReaderName)
                    {
                        thread.Schedstat!.Dispose();
                        thread.Schedstat = null;
                        thread.Last = thread.First;
                    }
                }
            }
            catch (IOException)
            {
                // The thread ended: its time up to the last reading stays.
                if (thread is not null)
                {
                    thread.Schedstat?.Dispose();
                    thread.Schedstat = null;
                }
            }
        }
    }

    /// <summary>The first field of a thread's <c>schedstat</c> ("ns on CPU, ns waiting, time slices"), read again from the start.</summary>
    private long ReadNanoseconds(SafeFileHandle schedstat)
    {
        var length = RandomAccess.Read(schedstat, _buffer, 0);
        if (length == 0)
        {
            throw new IOException("The thread has ended.");
        }

        Utf8Parser.TryParse(_buffer.AsSpan(0, length), out long nanoseconds, out _);
        return nanoseconds;
    }

    private sealed class Tracked
    {
        public string Group { get; set; } = DotNet;

        public long First { get; set; }

        public long Last { get; set; }

        public int Sightings { get; set; }

        public SafeFileHandle? Schedstat { get; set; }
    }
}
