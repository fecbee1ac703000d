using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Files;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Runtime;

public class PipelineRunnerTests : IDisposable
{
    private const int BatchSize = 20;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Run_CancelledMidStreamThenRestarted_FinalOutputEqualsUninterruptedRun()
    {
        var expected = await RunUninterruptedAsync();
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();

        var first = new VisitPipeline(sink);
        using var cancel = new CancellationTokenSource();
        var source = CreateSource();
        source.BatchDelivered = n =>
        {
            if (n == 27)
            {
                cancel.Cancel();
            }
        };
        var runner = new PipelineRunner<Visit>(first.Pipeline, source, first.Decoder(), deadLetters, Options(store));
        await runner.RunAsync(cancel.Token);
        Assert.Equal(27 * BatchSize, runner.Counters.Read);
        Assert.Equal(7, runner.Counters.Checkpoints); // every 4 batches, and on stopping
        Assert.Equal(runner.Positions, source.CommittedPositions);

        // A new process: new pipeline, new source over the same partitions, the same store and durable sinks.
        var second = new VisitPipeline(sink);
        var restarted = CreateSource();
        var resumed = new PipelineRunner<Visit>(second.Pipeline, restarted, second.Decoder(), deadLetters, Options(store));
        await resumed.RunAsync();

        Assert.Equal(0, resumed.Counters.Skipped);
        Assert.Equal(expected.Runner.Counters.Read - runner.Counters.Read, resumed.Counters.Read);
        Assert.Equal(expected.Visits.Flushed(), second.Canonical(sink.Flushed));
        Assert.Equal(Letters(expected.DeadLetters.Flushed), Letters(deadLetters.Flushed));
        Assert.Equal(expected.Runner.Positions, restarted.CommittedPositions);
    }

    [Fact]
    public async Task Run_CrashThenRedeliveredFromStart_SkipsAppliedRecordsAndEqualsUninterruptedRun()
    {
        var expected = await RunUninterruptedAsync();
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();
        var source = CreateSource();
        source.CrashAfterBatches = 27;

        // The first minute closes after about 24 batches: between the last checkpoint and the crash.
        var first = new VisitPipeline(sink);
        var runner = new PipelineRunner<Visit>(first.Pipeline, source, first.Decoder(), deadLetters, Options(store, checkpointEveryBatches: 10));
        await Assert.ThrowsAsync<SimulatedCrashException>(() => runner.RunAsync());
        Assert.Equal(2, runner.Counters.Checkpoints); // after batches 10 and 20; none for the crash
        Assert.Empty(sink.Flushed);
        Assert.NotEmpty(sink.Records);

        // What a crash keeps: flushed output and the last checkpoint. The source delivers everything again.
        sink.DropUnflushed();
        deadLetters.DropUnflushed();
        source.CrashAfterBatches = null;
        source.IgnoreSeek = true;
        source.RedeliverAll();
        var second = new VisitPipeline(sink);
        var resumed = new PipelineRunner<Visit>(second.Pipeline, source, second.Decoder(), deadLetters, Options(store, checkpointEveryBatches: 10));
        await resumed.RunAsync();

        var counters = resumed.Counters;
        Assert.Equal(20 * BatchSize, counters.Skipped);
        Assert.Equal(expected.Runner.Counters.Read, counters.Read);
        Assert.Equal(counters.Read, counters.Skipped + counters.Processed + counters.DeadLettered);
        Assert.Equal(expected.Visits.Flushed(), second.Canonical(sink.Flushed));
        Assert.Equal(Letters(expected.DeadLetters.Flushed), Letters(deadLetters.Flushed));
    }

    [Fact]
    public async Task Run_CrashThenRedeliveredFromLastCommit_ProcessesTheRestOnce()
    {
        var expected = await RunUninterruptedAsync();
        var store = new InMemoryStateStore();
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();
        var source = CreateSource();
        source.CrashAfterBatches = 10;

        var first = new VisitPipeline(sink);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => new PipelineRunner<Visit>(first.Pipeline, source, first.Decoder(), deadLetters, Options(store)).RunAsync());
        sink.DropUnflushed();
        deadLetters.DropUnflushed();
        source.CrashAfterBatches = null;
        source.IgnoreSeek = true;
        source.RewindToCommitted();
        var second = new VisitPipeline(sink);
        var resumed = new PipelineRunner<Visit>(second.Pipeline, source, second.Decoder(), deadLetters, Options(store));
        await resumed.RunAsync();

        Assert.Equal(0, resumed.Counters.Skipped);
        Assert.Equal(expected.Runner.Counters.Read - (8 * BatchSize), resumed.Counters.Read);
        Assert.Equal(expected.Visits.Flushed(), second.Canonical(sink.Flushed));
        Assert.Equal(Letters(expected.DeadLetters.Flushed), Letters(deadLetters.Flushed));
    }

    [Fact]
    public async Task Checkpoint_Always_FlushesSinksThenSavesStateThenCommits()
    {
        var log = new List<string>();
        var visits = new VisitPipeline(new LoggingSink(log));
        var source = new LoggingSource(CreateSource(), log);
        var store = new LoggingStore(new InMemoryStateStore(), log);
        var deadLetters = new LoggingDeadLetters(log);
        var runner = new PipelineRunner<Visit>(visits.Pipeline, source, visits.Decoder(), deadLetters, Options(store));

        await runner.RunAsync();

        Assert.Equal(runner.Counters.Checkpoints * 4, log.Count);
        for (var i = 0; i < log.Count; i += 4)
        {
            Assert.Equal(["flush sink", "flush dead letters", "save", "commit"], log.GetRange(i, 4));
        }
    }

    [Fact]
    public async Task Run_CancelledDuringPeriodicCheckpoint_FinishesItAndTakesFinalCheckpoint()
    {
        using var cancel = new CancellationTokenSource();
        var store = new CancellingStore(new InMemoryStateStore(), cancel);
        var visits = new VisitPipeline();
        var source = CreateSource();
        var runner = new PipelineRunner<Visit>(visits.Pipeline, source, visits.Decoder(), new InMemoryDeadLetterSink(), Options(store));

        await runner.RunAsync(cancel.Token);

        Assert.Equal(4 * BatchSize, runner.Counters.Read);
        Assert.Equal(2, runner.Counters.Checkpoints);
        Assert.Equal(2, source.Commits.Count);
        Assert.Equal(runner.Positions, source.CommittedPositions);
    }

    [Fact]
    public async Task Run_CheckpointInterval_FollowsTheVirtualClock()
    {
        var time = new ManualTimeProvider();
        var visits = new VisitPipeline(options: new PipelineOptions { Name = "visits", TimeProvider = time });
        var source = CreateSource(partitionSize: 100);
        source.BatchDelivered = _ => time.Advance(TimeSpan.FromSeconds(4));
        var options = new PipelineRunnerOptions { BatchSize = BatchSize, CheckpointInterval = TimeSpan.FromSeconds(10), TimeProvider = time };
        var runner = new PipelineRunner<Visit>(visits.Pipeline, source, visits.Decoder(), new InMemoryDeadLetterSink(), options);

        await runner.RunAsync();

        // 10 batches 4 s apart: due after the 3rd (12 s), 6th and 9th, then the final one.
        Assert.Equal(10, source.BatchesDelivered);
        Assert.Equal(4, runner.Counters.Checkpoints);
        Assert.Equal(4, source.Commits.Count);
    }

    [Fact]
    public async Task Run_SecondWriterWithStaleVersion_ThrowsStateConflict()
    {
        var store = new InMemoryStateStore();
        var zombie = new VisitPipeline();
        var zombieRunner = new PipelineRunner<Visit>(zombie.Pipeline, CreateSource(), zombie.Decoder(), new InMemoryDeadLetterSink(), Options(store));
        await zombieRunner.RestoreAsync();

        var current = new VisitPipeline();
        await new PipelineRunner<Visit>(current.Pipeline, CreateSource(), current.Decoder(), new InMemoryDeadLetterSink(), Options(store)).RunAsync();

        await Assert.ThrowsAsync<StateConflictException>(() => zombieRunner.RunAsync());
    }

    [Fact]
    public async Task Run_UseSourceTimestamps_WindowsBySourceTime()
    {
        var sink = new CollectingSink<WindowResult<int, long>>();
        var codec = new VisitCodec();
        var pipeline = StreamPipeline.Create<Visit>()
            .WithState(codec.Pages)
            .KeyBy(static v => v.Page)
            .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
            .Aggregate(static a => a.Count())
            .To(sink);
        var source = new InMemorySource();
        for (var i = 0; i < 180; i++)
        {
            source.Add("p0", VisitCodec.Line(ts: 0, userId: 1, page: "home"), timestamp: VisitData.Start + (i * 1_000L));
        }

        var runner = new PipelineRunner<Visit>(pipeline, source, new JsonLinesDecoder<Visit>(codec.Map), new InMemoryDeadLetterSink(), new PipelineRunnerOptions { UseSourceTimestamps = true });
        await runner.RunAsync();

        Assert.Equal([60L, 60L, 60L], sink.Flushed.Select(static r => r.Value));
        Assert.Equal([VisitData.Start, VisitData.Start + 60_000, VisitData.Start + 120_000], sink.Flushed.Select(static r => r.Start));
    }

    [Fact]
    public async Task Run_RawRecordDecoder_GetsEachRecordsKeyAndItsRejectionsAreDeadLettered()
    {
        var sink = new CollectingSink<WindowResult<int, long>>();
        var codec = new VisitCodec();
        var pipeline = StreamPipeline.Create<Visit>(static v => v.Ts)
            .KeyBy(static v => v.UserId)
            .Window(WindowSpec.Global)
            .Aggregate(static a => a.Count())
            .To(sink);
        var source = new InMemorySource();
        for (var i = 0; i < 90; i++)
        {
            // The payload's user id is always 1; the key says who it really is ("u0".."u2"), and "u?" is unreadable.
            var key = i % 10 == 9 ? "u?" : $"u{i % 3}";
            source.Add("p0", Encoding.UTF8.GetBytes(VisitCodec.Line(VisitData.Start + i, 1, "home")), key: Encoding.UTF8.GetBytes(key));
        }

        var decoder = new EnrichingDecoder<Visit>(new JsonLinesDecoder<Visit>(codec.Map), static (ref Visit v, in RawRecord raw) =>
        {
            if (raw.Key.Length != 2 || !char.IsAsciiDigit((char)raw.Key[1]))
            {
                return "the key names no user";
            }

            v.UserId = raw.Key[1] - '0';
            return null;
        });
        var deadLetters = new InMemoryDeadLetterSink();
        await new PipelineRunner<Visit>(pipeline, source, decoder, deadLetters).RunAsync();

        Assert.Equal([(0, 27L), (1, 27L), (2, 27L)], sink.Flushed.Select(static r => (r.Key, r.Value)).Order());
        Assert.Equal(9, deadLetters.Flushed.Count);
        Assert.All(deadLetters.Flushed, letter => Assert.Equal("the key names no user", letter.Reason));
    }

    [Fact]
    public void Constructor_NoEventTimeSelectorNorSourceTimestamps_Throws()
    {
        var codec = new VisitCodec();
        var pipeline = StreamPipeline.Create<Visit>().Window(WindowSpec.Global).Aggregate(static a => a.Count()).To(new CollectingSink<WindowResult<long>>());

        Assert.Throws<ArgumentException>(() => new PipelineRunner<Visit>(pipeline, new InMemorySource(), new JsonLinesDecoder<Visit>(codec.Map), new InMemoryDeadLetterSink()));
    }

    [Fact]
    public async Task Run_UnboundedSourceCancelled_TakesFinalCheckpoint()
    {
        var visits = new VisitPipeline();
        var source = new InMemorySource(bounded: false);
        var store = new InMemoryStateStore();
        using var cancel = new CancellationTokenSource();
        var decoding = new Pulse();
        var runner = new PipelineRunner<Visit>(visits.Pipeline, source, visits.Decoder(decoding.Notify), new InMemoryDeadLetterSink(), Options(store));

        var running = runner.RunAsync(cancel.Token);
        foreach (var line in VisitData.Lines(100, seed: 1, first: 40))
        {
            source.Add("p0", line);
        }

        // The runner counts a record read before decoding it: the 100th decode sees all 100 read.
        await decoding.WaitUntilAsync(() => Volatile.Read(ref runner.Counters.ReadCount) >= 100, "the runner reading all 100 records", watched: running);

        await cancel.CancelAsync();
        await running;

        Assert.Equal(100, runner.Counters.Processed);
        Assert.Equal(99, source.CommittedPositions["p0"]);
        Assert.NotNull(await store.LoadAsync("visits"));
        Assert.Equal(visits.Sink.Records.Count, visits.Sink.Flushed.Count);
    }

    private static PipelineRunnerOptions Options(IStateStore? store, int checkpointEveryBatches = 4) =>
        new() { StateStore = store, BatchSize = BatchSize, CheckpointEveryBatches = checkpointEveryBatches };

    /// <summary>Two partitions over the same minutes, each with a few malformed records.</summary>
    private static InMemorySource CreateSource(int partitionSize = 600)
    {
        var source = new InMemorySource("clicks") { MaxBatchSize = BatchSize };
        for (var p = 0; p < 2; p++)
        {
            var lines = VisitData.Lines(partitionSize, seed: p, first: 40);
            for (var i = 0; i < lines.Count; i++)
            {
                source.Add("p" + p, i % 97 == 13 ? "{\"broken\":" + i : lines[i]);
            }
        }

        return source;
    }

    private static async Task<(PipelineRunner<Visit> Runner, VisitPipeline Visits, InMemoryDeadLetterSink DeadLetters)> RunUninterruptedAsync()
    {
        var visits = new VisitPipeline();
        var deadLetters = new InMemoryDeadLetterSink();
        var runner = new PipelineRunner<Visit>(visits.Pipeline, CreateSource(), visits.Decoder(), deadLetters, Options(null));
        await runner.RunAsync();
        Assert.Equal(0, visits.Pipeline.Counters.Late);
        Assert.True(deadLetters.Flushed.Count > 0);
        return (runner, visits, deadLetters);
    }

    /// <summary>Dead letters in partition and position order: partitions interleave differently after a restart.</summary>
    private static List<(string, long, string)> Letters(IEnumerable<CapturedDeadLetter> letters) =>
        [.. letters.Select(static l => (l.Partition, l.Position, l.PayloadText)).Order()];

    private sealed class LoggingSink(List<string> log) : IRecordSink<WindowResult<int, long>>
    {
        public void Write(ReadOnlySpan<WindowResult<int, long>> records)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default)
        {
            log.Add("flush sink");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class LoggingDeadLetters(List<string> log) : IDeadLetterSink
    {
        public void Write(in DeadLetter letter)
        {
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default)
        {
            log.Add("flush dead letters");
            return ValueTask.CompletedTask;
        }
    }

    private sealed class LoggingStore(IStateStore inner, List<string> log) : IStateStore
    {
        public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) => inner.LoadAsync(key, cancellationToken);

        public ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
        {
            log.Add("save");
            return inner.SaveAsync(key, data, expectedVersion, cancellationToken);
        }
    }

    /// <summary>Cancels the run while the first save is under way, and honours the token it is given.</summary>
    private sealed class CancellingStore(IStateStore inner, CancellationTokenSource cancel) : IStateStore
    {
        public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) => inner.LoadAsync(key, cancellationToken);

        public ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
        {
            cancel.Cancel();
            cancellationToken.ThrowIfCancellationRequested();
            return inner.SaveAsync(key, data, expectedVersion, cancellationToken);
        }
    }

    private sealed class LoggingSource(IRecordSource inner, List<string> log) : IRecordSource
    {
        public string Name => inner.Name;

        public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.SeekAsync(positions, cancellationToken);

        public ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default) => inner.ReadAsync(batch, cancellationToken);

        public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
        {
            log.Add("commit");
            return inner.CommitAsync(positions, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
