using System.Globalization;
using Clickstream;
using StreamKit;
using StreamKit.Codecs;
using StreamKit.Kafka;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Windows;

// The crash test's child process: Q2 (views per page per minute) from a topic to a topic, bounded, checkpointing to a
// FileStateStore every few batches and printing "checkpoint N windows=W" on stdout after each, so the test knows when to kill it.
//   Worker --bootstrap B --input TOPIC --output TOPIC --group G --state DIR [--batch 200] [--checkpoint-every 5] [--delay-ms 0]
var options = new Dictionary<string, string>(StringComparer.Ordinal);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    options[args[i].TrimStart('-')] = args[i + 1];
}

string Get(string name, string? fallback = null) =>
    options.TryGetValue(name, out var value) ? value : fallback ?? throw new ArgumentException($"--{name} is required");

var bootstrap = Get("bootstrap");
var batchSize = int.Parse(Get("batch", "200"), CultureInfo.InvariantCulture);
var checkpointEvery = int.Parse(Get("checkpoint-every", "5"), CultureInfo.InvariantCulture);
var delay = TimeSpan.FromMilliseconds(int.Parse(Get("delay-ms", "0"), CultureInfo.InvariantCulture));
var stateDirectory = Get("state");

var format = new RecordMap<WindowResult<int, long>>()
    .Int64("windowStart", null, static (in WindowResult<int, long> r) => r.Start)
    .Int32("pageId", null, static (in WindowResult<int, long> r) => r.Key)
    .Int64("count", null, static (in WindowResult<int, long> r) => r.Value);

await using var source = KafkaJobs.CreateSource(new KafkaAddress(bootstrap, Get("input"), Get("group")), bounded: true);
await using var sink = KafkaJobs.CreateSink(new KafkaAddress(bootstrap, Get("output"), null), format);
using var deadLetters = new JsonLinesDeadLetterSink(Path.Combine(stateDirectory, "deadletters.jsonl"));
var pipeline = Queries.Tumbling(sink);
var runner = new PipelineRunner<ClickEvent>(
    pipeline,
    new SlowSource(source, delay),
    new JsonLinesDecoder<ClickEvent>(ClickEvents.Map),
    deadLetters,
    new PipelineRunnerOptions
    {
        StateStore = new ReportingStore(new FileStateStore(stateDirectory), pipeline.Counters),
        StateKey = "clickstream-tumbling",
        BatchSize = batchSize,
        CheckpointEveryBatches = checkpointEvery,
        CheckpointInterval = TimeSpan.FromHours(1),
    });
await runner.RunAsync();
var c = runner.Counters;
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"done read={c.Read} skipped={c.Skipped} processed={c.Processed} deadLettered={c.DeadLettered}"));
return 0;

/// <summary>Slows reading down so that the test can kill the process mid-run.</summary>
internal sealed class SlowSource(IRecordSource inner, TimeSpan delay) : IRecordSource
{
    public string Name => inner.Name;

    public IReadOnlyList<string> Partitions => inner.Partitions; // without it the runner would not wait for partitions it has not seen

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) =>
        inner.SeekAsync(positions, cancellationToken);

    public async ValueTask<bool> ReadAsync(StreamKit.Records.RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, cancellationToken);
        }

        return await inner.ReadAsync(batch, cancellationToken);
    }

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) =>
        inner.CommitAsync(positions, cancellationToken);

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}

/// <summary>Tells the parent process about every saved checkpoint, with the windows fired so far (flushed to the sink before the save).</summary>
internal sealed class ReportingStore(IStateStore inner, PipelineCounters counters) : IStateStore
{
    private int _saves;

    public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) => inner.LoadAsync(key, cancellationToken);

    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        var version = await inner.SaveAsync(key, data, expectedVersion, cancellationToken);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"checkpoint {++_saves} windows={counters.Out}"));
        Console.Out.Flush();
        return version;
    }
}
