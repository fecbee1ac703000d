using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Files;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Runtime;

public class InvocationRunnerTests : IDisposable
{
    private const string Shard = "shardId-000000000000";

    // Kinesis-sized sequence numbers: 56 digits, far beyond a long.
    private const string SequenceBase = "49590338271490256608559692538361571095921575989136";

    private static readonly DateTimeOffset s_noDeadline = DateTimeOffset.MaxValue;
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Run_BatchesInNewProcessesSomeRedelivered_EqualsOneUninterruptedRun()
    {
        var lines = VisitData.Lines(3000, seed: 7);
        var expected = VisitPipeline.ReferenceRun(lines, complete: true);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();

        var cuts = new[] { 0, 400, 1300, 1301, 2200, 3000 };
        for (var b = 0; b + 1 < cuts.Length; b++)
        {
            var batch = Batch(lines, cuts[b], cuts[b + 1]);
            var first = await NewProcess(store, sink).Runner.RunAsync(batch, s_noDeadline);
            Assert.Equal(new InvocationResult(batch.Count, batch.Count, 0, 0), first);

            // The platform delivers the same batch again (a lost response), and then a bisected half of it.
            var again = await NewProcess(store, sink).Runner.RunAsync(batch, s_noDeadline);
            Assert.Equal(new InvocationResult(batch.Count, 0, batch.Count, 0), again);
            var half = Batch(lines, cuts[b], (cuts[b] + cuts[b + 1] + 1) / 2);
            Assert.Equal(half.Count, (await NewProcess(store, sink).Runner.RunAsync(half, s_noDeadline)).Skipped);
        }

        var last = NewProcess(store, sink);
        await last.Runner.CompleteAsync(Shard);

        Assert.Equal(expected, last.Canonical(sink.Flushed));
    }

    [Fact]
    public async Task Run_WarmInstance_BuildsPipelineOnceAndReloadsWhenAnotherInstanceSaved()
    {
        var lines = VisitData.Lines(600, seed: 3);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        var warm = NewProcess(store, sink);

        await warm.Runner.RunAsync(Batch(lines, 0, 200), s_noDeadline);
        await warm.Runner.RunAsync(Batch(lines, 200, 300), s_noDeadline);
        Assert.Equal(1, warm.Created);

        // Another instance takes the shard for one batch (a scale-out, a concurrent retry) and saves.
        await NewProcess(store, sink).Runner.RunAsync(Batch(lines, 300, 450), s_noDeadline);

        // The warm instance sees the store's version moved: it reloads, and what the other applied is not applied twice.
        var redelivered = await warm.Runner.RunAsync(Batch(lines, 300, 600), s_noDeadline);
        Assert.Equal(2, warm.Created);
        Assert.Equal(150, redelivered.Skipped);
        Assert.Equal(150, redelivered.Processed);

        await warm.Runner.CompleteAsync(Shard);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: true), warm.Canonical(sink.Flushed));
    }

    [Fact]
    public async Task Run_TwoInstancesRaceOnOneShard_SecondSaveConflictsAndItsRetryDoesNotDoubleCount()
    {
        var lines = VisitData.Lines(500, seed: 11);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        await NewProcess(store, sink).Runner.RunAsync(Batch(lines, 0, 100), s_noDeadline);

        // Both load version 1; A saves first; B's save must not overwrite it.
        var a = NewProcess(store, sink);
        var b = NewProcess(store, sink);
        var gate = new GatedStore(store);
        var bGated = NewProcess(gate, sink);
        gate.HoldSaves = true;
        var racing = bGated.Runner.RunAsync(Batch(lines, 100, 300), s_noDeadline).AsTask();
        await gate.SaveReached.Task;
        await a.Runner.RunAsync(Batch(lines, 100, 300), s_noDeadline);
        gate.Release();
        await Assert.ThrowsAsync<StateConflictException>(() => racing);

        // The platform retries B's batch: it reloads A's state and skips everything A applied.
        var retry = await bGated.Runner.RunAsync(Batch(lines, 100, 300), s_noDeadline);
        Assert.Equal(200, retry.Skipped);
        await b.Runner.RunAsync(Batch(lines, 300, 500), s_noDeadline);
        var last = NewProcess(store, sink);
        await last.Runner.CompleteAsync(Shard);

        // B flushed the windows its batch closed before its save failed: output is at-least-once (the same results
        // twice), but no count is inflated.
        var results = last.Canonical(sink.Flushed);
        Assert.NotEqual(results.Count, results.Distinct().Count());
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: true), results.Distinct().ToList());
    }

    [Fact]
    public async Task Run_NearingDeadline_StopsAtAChunkBoundaryAndTheRedeliveredRestCompletesTheRun()
    {
        var lines = VisitData.Lines(3000, seed: 5);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        var clock = new ManualTimeProvider();
        var deadline = clock.GetUtcNow() + TimeSpan.FromSeconds(10);

        // Each decode takes 5 ms of the 8 s the invocation may spend taking records: 1,600 records fit.
        var slow = NewProcess(store, sink, clock, onDecode: () => clock.Advance(TimeSpan.FromMilliseconds(5)));
        var result = await slow.Runner.RunAsync(Batch(lines, 0, 3000), deadline);
        Assert.Equal(2048, result.Taken); // two chunks of 1,024: the clock is read between chunks
        Assert.Equal(2048, result.Processed);

        // Kinesis retries from the first failed sequence number.
        var rest = await NewProcess(store, sink).Runner.RunAsync(Batch(lines, 2048, 3000), s_noDeadline);
        Assert.Equal(952, rest.Processed);
        var last = NewProcess(store, sink);
        await last.Runner.CompleteAsync(Shard);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: true), last.Canonical(sink.Flushed));
    }

    [Fact]
    public async Task Run_DeadlineAlreadyWithinMargin_TakesNothingAndSavesNoProgress()
    {
        var lines = VisitData.Lines(100, seed: 1);
        var store = new FileStateStore(_dir.Path);
        var clock = new ManualTimeProvider();
        var process = NewProcess(store, new CollectingSink<WindowResult<int, long>>(), clock);

        var result = await process.Runner.RunAsync(Batch(lines, 0, 100), clock.GetUtcNow() + TimeSpan.FromSeconds(1));

        Assert.Equal(new InvocationResult(0, 0, 0, 0), result);
        var again = await NewProcess(store, new CollectingSink<WindowResult<int, long>>()).Runner.RunAsync(Batch(lines, 0, 100), s_noDeadline);
        Assert.Equal(100, again.Processed);
    }

    [Fact]
    public async Task Run_MalformedRecords_DeadLetteredWithBytesSequenceAndReasonAndCountAsTaken()
    {
        var store = new FileStateStore(_dir.Path);
        var deadLetters = new InMemoryDeadLetterSink();
        var process = NewProcess(store, new CollectingSink<WindowResult<int, long>>(), deadLetters: deadLetters);
        using var batch = new InvocationBatch();
        var shard = batch.Partition(Shard);
        batch.Add(shard, Sequence(1), Utf8(VisitCodec.Line(VisitData.Start, 1, "home")), "k"u8, 0);
        batch.Add(shard, Sequence(2), "{not json"u8, "k"u8, 0);
        batch.Add(shard, Sequence(3), "\u0001\u0002"u8, "k"u8, 0, error: "data is not valid base64");
        batch.Add(shard, Sequence(4), Utf8(VisitCodec.Line(VisitData.Start + 1, 2, "cart")), "k"u8, 0);

        var result = await process.Runner.RunAsync(batch, s_noDeadline);

        Assert.Equal(new InvocationResult(4, 2, 0, 2), result);
        Assert.Collection(
            deadLetters.Flushed,
            letter =>
            {
                Assert.Equal("{not json", letter.PayloadText);
                Assert.Equal(Encoding.ASCII.GetString(Sequence(2)), letter.Sequence);
                Assert.Equal(-1, letter.Position);
                Assert.Equal(Shard, letter.Partition);
                Assert.False(string.IsNullOrEmpty(letter.Reason));
            },
            letter =>
            {
                Assert.Equal(new byte[] { 1, 2 }, letter.Payload);
                Assert.Equal("data is not valid base64", letter.Reason);
            });

        // Redelivered: the dead letters are not written twice either.
        var again = await NewProcess(store, new CollectingSink<WindowResult<int, long>>(), deadLetters: deadLetters).Runner.RunAsync(batch, s_noDeadline);
        Assert.Equal(4, again.Skipped);
        Assert.Equal(2, deadLetters.Flushed.Count);
    }

    [Fact]
    public async Task Run_RawRecordDecoder_SeesEachRecordsKey()
    {
        var deadLetters = new InMemoryDeadLetterSink();
        var runner = new InvocationRunner<Visit>(
            () =>
            {
                var visits = new VisitPipeline();
                return new PipelineInstance<Visit>(visits.Pipeline, new EnrichingDecoder<Visit>(visits.Decoder(), static (ref Visit v, in RawRecord raw) => raw.Key.SequenceEqual("bot"u8) ? "a bot's partition key" : null));
            },
            deadLetters,
            new InvocationRunnerOptions { StateStore = new InMemoryStateStore() });
        using var batch = new InvocationBatch();
        var shard = batch.Partition(Shard);
        batch.Add(shard, Sequence(1), Utf8(VisitCodec.Line(VisitData.Start, 1, "home")), "user"u8, 0);
        batch.Add(shard, Sequence(2), Utf8(VisitCodec.Line(VisitData.Start, 2, "home")), "bot"u8, 0);

        var result = await runner.RunAsync(batch, s_noDeadline);

        Assert.Equal(new InvocationResult(2, 1, 0, 1), result);
        Assert.Equal("a bot's partition key", Assert.Single(deadLetters.Flushed).Reason);
    }

    [Fact]
    public async Task Run_SequenceNumbers_ComparedAsNumbersNotText()
    {
        var store = new FileStateStore(_dir.Path);
        var process = NewProcess(store, new CollectingSink<WindowResult<int, long>>());
        using var batch = new InvocationBatch();
        var p = batch.Partition("topic-0");
        batch.Add(p, 9, Utf8(VisitCodec.Line(VisitData.Start, 1, "home")), default, 0);
        Assert.Equal(1, (await process.Runner.RunAsync(batch, s_noDeadline)).Processed);

        // 10 > 9 although "10" < "9" as text; "0009" is 9 (already applied); "000" is 0.
        batch.Clear();
        batch.Add(p, "0009"u8, Utf8(VisitCodec.Line(VisitData.Start, 1, "home")), default, 0);
        batch.Add(p, "000"u8, Utf8(VisitCodec.Line(VisitData.Start, 1, "home")), default, 0);
        batch.Add(p, 10, Utf8(VisitCodec.Line(VisitData.Start, 2, "home")), default, 0);
        var result = await process.Runner.RunAsync(batch, s_noDeadline);

        Assert.Equal(2, result.Skipped);
        Assert.Equal(1, result.Processed);
        Assert.Throws<FormatException>(() => batch.Add(p, "12a"u8, default, default, 0));
        Assert.Throws<FormatException>(() => batch.Add(p, ""u8, default, default, 0));
    }

    [Fact]
    public async Task Run_PartitionsInOneBatch_EachKeepsItsOwnStateAndSequence()
    {
        var lines = VisitData.Lines(400, seed: 9);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        using var batch = new InvocationBatch();
        var p0 = batch.Partition("clicks-0");
        var p1 = batch.Partition("clicks-1");
        for (var i = 0; i < 200; i++)
        {
            batch.Add(p0, i, Utf8(lines[i]), default, 0);
        }

        for (var i = 0; i < 200; i++)
        {
            batch.Add(p1, i, Utf8(lines[200 + i]), default, 0);
        }

        var process = NewProcess(store, sink);
        Assert.Equal(400, (await process.Runner.RunAsync(batch, s_noDeadline)).Processed);
        Assert.Equal(2, process.Created);
        Assert.Equal(400, (await NewProcess(store, sink).Runner.RunAsync(batch, s_noDeadline)).Skipped);
        Assert.NotNull(await store.LoadAsync("visits/clicks-0"));
        Assert.NotNull(await store.LoadAsync("visits/clicks-1"));
    }

    [Fact]
    public async Task Run_SinkFailsAtFlush_InvocationFailsAndTheRetryCountsEachRecordOnce()
    {
        var lines = VisitData.Lines(800, seed: 13);
        var store = new FileStateStore(_dir.Path);
        var sink = new FailingSink();
        var process = NewProcess(store, sink);
        await process.Runner.RunAsync(Batch(lines, 0, 400), s_noDeadline);

        sink.FailNextFlush = true;
        await Assert.ThrowsAsync<IOException>(() => process.Runner.RunAsync(Batch(lines, 400, 800), s_noDeadline).AsTask());
        sink.Inner.DropUnflushed();

        // The same warm instance gets the retry: it must not reuse the pipeline that already took the failed batch.
        var retry = await process.Runner.RunAsync(Batch(lines, 400, 800), s_noDeadline);
        Assert.Equal(400, retry.Processed);
        await process.Runner.CompleteAsync(Shard);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: true), process.Canonical(sink.Inner.Flushed));
    }

    [Fact]
    public async Task DeadLetterUnapplied_AfterAFailedRedelivery_WritesOnlyRecordsTheStoredStateDoesNotHold()
    {
        var lines = VisitData.Lines(600, seed: 17);
        var store = new FileStateStore(_dir.Path);
        var sink = new FailingSink();
        var process = NewProcess(store, sink);
        await process.Runner.RunAsync(Batch(lines, 0, 250), s_noDeadline);

        sink.FailNextFlush = true;
        var redelivery = Batch(lines, 100, 600);
        await Assert.ThrowsAsync<IOException>(() => process.Runner.RunAsync(redelivery, s_noDeadline).AsTask());
        var letters = new InMemoryDeadLetterSink();
        var written = await process.Runner.DeadLetterUnappliedAsync(redelivery, 0, "the invocation failed", letters, "clicks");

        Assert.Equal(350, written);
        Assert.Equal(Encoding.ASCII.GetString(Sequence(250)), letters.Letters[0].Sequence);
        Assert.All(letters.Letters, letter => Assert.Equal("clicks", letter.Source));
        Assert.Equal(100, await process.Runner.DeadLetterUnappliedAsync(redelivery, 400, "past the deadline", letters, "clicks"));
    }

    private static InvocationBatch Batch(List<string> lines, int from, int to)
    {
        var batch = new InvocationBatch(16);
        var shard = batch.Partition(Shard);
        for (var i = from; i < to; i++)
        {
            batch.Add(shard, Sequence(i), Utf8(lines[i]), "user"u8, VisitData.Start + i);
        }

        return batch;
    }

    private static byte[] Sequence(int i) => Encoding.ASCII.GetBytes(SequenceBase + i.ToString("D6", System.Globalization.CultureInfo.InvariantCulture));

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static Process NewProcess(IStateStore store, IRecordSink<WindowResult<int, long>> sink, TimeProvider? clock = null, Action? onDecode = null, InMemoryDeadLetterSink? deadLetters = null) =>
        new(store, sink, clock, onDecode, deadLetters);

    /// <summary>What one function process holds: a runner whose factory builds visit pipelines over a shared sink.</summary>
    private sealed class Process
    {
        private VisitPipeline? _latest;

        public Process(IStateStore store, IRecordSink<WindowResult<int, long>> sink, TimeProvider? clock, Action? onDecode, InMemoryDeadLetterSink? deadLetters)
        {
            Runner = new InvocationRunner<Visit>(
                () =>
                {
                    _latest = new VisitPipeline(sink);
                    Created++;
                    return _latest.Instance(onDecode);
                },
                deadLetters ?? new InMemoryDeadLetterSink(),
                new InvocationRunnerOptions { StateStore = store, TimeProvider = clock ?? TimeProvider.System });
        }

        public InvocationRunner<Visit> Runner { get; }

        public int Created { get; private set; }

        /// <summary>Results with page names from the latest pipeline's interner (restored state keeps the ids stable).</summary>
        public List<PageCount> Canonical(IReadOnlyList<WindowResult<int, long>> results) => _latest!.Canonical(results);
    }

    /// <summary>A collecting sink whose next flush fails when asked to.</summary>
    private sealed class FailingSink : IRecordSink<WindowResult<int, long>>
    {
        public CollectingSink<WindowResult<int, long>> Inner { get; } = new();

        public bool FailNextFlush { get; set; }

        public void Write(ReadOnlySpan<WindowResult<int, long>> records) => Inner.Write(records);

        public ValueTask FlushAsync(CancellationToken cancellationToken = default)
        {
            if (FailNextFlush)
            {
                FailNextFlush = false;
                throw new IOException("the sink is unavailable");
            }

            return Inner.FlushAsync(cancellationToken);
        }
    }

    /// <summary>A store whose saves wait for <see cref="Release"/> while <see cref="HoldSaves"/> is set.</summary>
    private sealed class GatedStore(IStateStore inner) : IStateStore
    {
        private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool HoldSaves { get; set; }

        public TaskCompletionSource SaveReached { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release()
        {
            HoldSaves = false;
            _release.SetResult();
        }

        public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) => inner.LoadAsync(key, cancellationToken);

        public ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default) => inner.GetVersionAsync(key, cancellationToken);

        public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
        {
            if (HoldSaves)
            {
                SaveReached.TrySetResult();
                await _release.Task;
            }

            return await inner.SaveAsync(key, data, expectedVersion, cancellationToken);
        }
    }
}
