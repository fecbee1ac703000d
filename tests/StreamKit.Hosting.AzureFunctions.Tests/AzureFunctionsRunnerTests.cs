using System.Text;
using StreamKit.Hosting.AzureFunctions.Tests.Support;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Hosting.AzureFunctions.Tests;

public class AzureFunctionsRunnerTests : IDisposable
{
    private const string Partition = "3";
    private static readonly DateTime s_enqueued = new(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RunEventHubsAsync_BatchesInNewProcessesSomeTwiceAndHalved_EqualsOneUninterruptedRun()
    {
        var lines = VisitData.Lines(2500, seed: 21);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();

        var cuts = new[] { 0, 700, 701, 1600, 2500 };
        List<PageCount>? results = null;
        for (var b = 0; b + 1 < cuts.Length; b++)
        {
            var (from, to) = (cuts[b], cuts[b + 1]);
            using (var first = new FunctionProcess(store, sink, deadLetters))
            {
                Assert.Equal(new FunctionBatchResult(to - from, 0, 0, 0), await RunBytesAsync(first, lines, from, to));
            }

            // A host crash before the checkpoint: the trigger delivers the batch again, or from its middle.
            using var again = new FunctionProcess(store, sink, deadLetters);
            Assert.Equal(new FunctionBatchResult(0, to - from, 0, 0), await RunBytesAsync(again, lines, from, to));
            Assert.Equal((to - from) / 2, (await RunBytesAsync(again, lines, from + ((to - from + 1) / 2), to)).Skipped);
            results = again.Canonical(sink.Flushed);
        }

        Assert.Empty(deadLetters.Letters);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: false), results);
    }

    [Fact]
    public async Task RunEventHubsAsync_BytesMemoryAndStrings_CarryPartitionSequenceNumberAndEnqueuedTime()
    {
        // A deadline already inside the margin: nothing is taken, so every record comes back as a dead letter with what the adapter made of it.
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(new FileStateStore(_dir.Path), new CollectingSink<WindowResult<int, long>>(), deadLetters, timeout: TimeSpan.FromSeconds(1));
        string[] bodies = ["{\"a\":1}", "caf\u00e9"];
        long[] sequences = [41, 42];
        DateTime[] enqueued = [s_enqueued, s_enqueued.AddMilliseconds(1500)];

        await process.Runner.RunEventHubsAsync(Partition, [Utf8(bodies[0]), Utf8(bodies[1])], sequences, enqueued);
        await process.Runner.RunEventHubsAsync(Partition, [new ReadOnlyMemory<byte>(Utf8(bodies[0])), Utf8(bodies[1])], sequences, enqueued);
        var result = await process.Runner.RunEventHubsAsync(Partition, bodies, sequences, enqueued);

        Assert.Equal(new FunctionBatchResult(0, 0, 2, 2), result);
        Assert.Equal(6, deadLetters.Flushed.Count);
        for (var i = 0; i < 6; i++)
        {
            var letter = deadLetters.Flushed[i];
            Assert.Equal(Partition, letter.Partition);
            Assert.Equal(sequences[i % 2], letter.Position);
            Assert.Null(letter.Sequence);
            Assert.Equal(new DateTimeOffset(enqueued[i % 2]).ToUnixTimeMilliseconds(), letter.Timestamp);
            Assert.Equal(bodies[i % 2], letter.PayloadText);
            Assert.Equal(AzureFunctionsRunner<Visit>.PastDeadlineReason, letter.Reason);
            Assert.Equal("azure-functions", letter.Source);
        }
    }

    [Fact]
    public async Task RunEventHubsAsync_MetadataArraysOfAnotherLength_Throws()
    {
        using var process = new FunctionProcess(new FileStateStore(_dir.Path), new CollectingSink<WindowResult<int, long>>(), new InMemoryDeadLetterSink());
        await Assert.ThrowsAsync<ArgumentException>(() => process.Runner.RunEventHubsAsync(Partition, new[] { "x", "y" }, [1], [s_enqueued, s_enqueued]).AsTask());
    }

    [Fact]
    public async Task RunEventHubsAsync_NearingDeadline_UntakenRecordsDeadLetteredAndFlushedBeforeReturning()
    {
        var lines = VisitData.Lines(3000, seed: 5);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();
        var clock = new ManualTimeProvider();

        // Each decode takes 5 ms of the 8 s the 10 s function may spend taking records (2 s margin): two chunks of 1,024 fit.
        using var slow = new FunctionProcess(store, sink, deadLetters, clock, () => clock.Advance(TimeSpan.FromMilliseconds(5)), TimeSpan.FromSeconds(10));
        var result = await RunBytesAsync(slow, lines, 0, 3000);

        Assert.Equal(new FunctionBatchResult(2048, 0, 952, 952), result);
        Assert.Equal(952, deadLetters.Flushed.Count);
        for (var i = 0; i < 952; i++)
        {
            Assert.Equal(2048 + i, deadLetters.Flushed[i].Position);
            Assert.Equal(lines[2048 + i], deadLetters.Flushed[i].PayloadText);
            Assert.Equal(AzureFunctionsRunner<Visit>.PastDeadlineReason, deadLetters.Flushed[i].Reason);
        }

        // The trigger checkpoints and moves on; the dead letters, replayed under their own sequence numbers before
        // the partition's next batch, complete the run: nothing was lost and nothing is counted twice.
        using var next = new FunctionProcess(store, sink, deadLetters);
        var replay = await next.Runner.RunEventHubsAsync(Partition, Bodies(deadLetters.Flushed), Positions(deadLetters.Flushed), Times(deadLetters.Flushed));
        Assert.Equal(new FunctionBatchResult(952, 0, 0, 0), replay);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: false), next.Canonical(sink.Flushed));
    }

    [Fact]
    public async Task RunEventHubsAsync_SinkFailsOnFinalAttempt_EveryRecordDeadLetteredThenTheFailureRethrown()
    {
        var lines = VisitData.Lines(1200, seed: 8);
        var store = new FileStateStore(_dir.Path);
        var sink = new FailingSink();
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(store, sink, deadLetters);
        await RunBytesAsync(process, lines, 0, 400);

        sink.Failing = true;
        var failure = await Assert.ThrowsAsync<IOException>(() => RunBytesAsync(process, lines, 400, 1200));

        Assert.Equal("the sink is unavailable", failure.Message);
        Assert.Equal(800, deadLetters.Flushed.Count);
        for (var i = 0; i < 800; i++)
        {
            Assert.Equal(400 + i, deadLetters.Flushed[i].Position);
            Assert.Equal(lines[400 + i], deadLetters.Flushed[i].PayloadText);
            Assert.StartsWith(AzureFunctionsRunner<Visit>.FailedReasonPrefix + "IOException: the sink is unavailable", deadLetters.Flushed[i].Reason, StringComparison.Ordinal);
        }

        // None of them was saved: the dead letters replayed under their sequence numbers are all processed, once.
        sink.Failing = false;
        sink.Inner.DropUnflushed();
        var replay = await process.Runner.RunEventHubsAsync(Partition, Bodies(deadLetters.Flushed), Positions(deadLetters.Flushed), Times(deadLetters.Flushed));
        Assert.Equal(800, replay.Processed);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: false), process.Canonical(sink.Inner.Flushed));
    }

    [Fact]
    public async Task RunEventHubsAsync_StoreSaveFailsOnFinalAttempt_EveryRecordNotAlreadyCountedDeadLetteredAndItsReplayCompletesTheRun()
    {
        var lines = VisitData.Lines(1000, seed: 9);
        var store = new FailingStore(new FileStateStore(_dir.Path));
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(store, sink, deadLetters);
        await RunBytesAsync(process, lines, 0, 500);

        // A redelivery overlapping what is saved (0..499 applied), and the store fails to save: 300..499 are in the saved
        // state already, so only 500..999 are dead-lettered.
        store.Failing = true;
        await Assert.ThrowsAsync<IOException>(() => RunBytesAsync(process, lines, 300, 1000));
        Assert.Equal(500, deadLetters.Flushed.Count);
        Assert.Equal(500, deadLetters.Flushed[0].Position);

        store.Failing = false;
        sink.DropUnflushed();
        using var replayer = new FunctionProcess(store, sink, deadLetters);
        var replay = await replayer.Runner.RunEventHubsAsync(Partition, Bodies(deadLetters.Flushed), Positions(deadLetters.Flushed), Times(deadLetters.Flushed));
        Assert.Equal(new FunctionBatchResult(500, 0, 0, 0), replay);
    }

    [Fact]
    public async Task RunEventHubsAsync_StoreDownAltogetherOnFinalAttempt_EveryRecordDeadLetteredWithTheReason()
    {
        var lines = VisitData.Lines(600, seed: 8);
        var store = new FailingStore(new FileStateStore(_dir.Path));
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(store, new CollectingSink<WindowResult<int, long>>(), deadLetters);
        await RunBytesAsync(process, lines, 0, 200);

        // Nothing can tell which of 100..599 the saved state holds: all 500 are kept, and say why.
        store.Failing = true;
        store.FailingLoads = true;
        await Assert.ThrowsAsync<IOException>(() => RunBytesAsync(process, lines, 100, 600));
        Assert.Equal(500, deadLetters.Flushed.Count);
        Assert.All(deadLetters.Flushed, letter => Assert.Contains("could not tell which records were applied", letter.Reason, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunEventHubsAsync_FailsOnAnAttemptTheHostRetries_NoDeadLettersAndTheRetryCountsEachRecordOnce()
    {
        var lines = VisitData.Lines(900, seed: 4);
        var sink = new FailingSink();
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(new FileStateStore(_dir.Path), sink, deadLetters);
        await RunBytesAsync(process, lines, 0, 300);

        sink.Failing = true;
        await Assert.ThrowsAsync<IOException>(() => RunBytesAsync(process, lines, 300, 900, finalAttempt: false));
        Assert.Empty(deadLetters.Letters);

        sink.Failing = false;
        sink.Inner.DropUnflushed();
        Assert.Equal(600, (await RunBytesAsync(process, lines, 300, 900)).Processed);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: false), process.Canonical(sink.Inner.Flushed));
    }

    [Fact]
    public async Task RunEventHubsAsync_DeadLetterSinkFailsToo_ThrowsBothFailures()
    {
        var sink = new FailingSink { Failing = true };
        using var process = new FunctionProcess(new FileStateStore(_dir.Path), sink, new BrokenDeadLetterSink());

        var failure = await Assert.ThrowsAsync<AggregateException>(() => RunBytesAsync(process, VisitData.Lines(10, seed: 1), 0, 10));

        Assert.Equal(2, failure.InnerExceptions.Count);
        Assert.Equal("the sink is unavailable", failure.InnerExceptions[0].Message);
        Assert.Equal("the dead-letter container is unavailable", failure.InnerExceptions[1].Message);
    }

    [Fact]
    public async Task RunKafkaAsync_IsolatedWorkerJson_StateKeptPerTopicPartitionAndFieldsMapped()
    {
        var store = new FileStateStore(_dir.Path);
        var deadLetters = new InMemoryDeadLetterSink();
        string[] events =
        [
            """{"Offset":7,"Partition":0,"Topic":"clicks","Timestamp":"2024-01-01T00:00:01.5Z","Value":"{\"ts\":1704067201500,\"userId\":1,\"page\":\"home\"}","Key":"u1","Headers":[]}""",
            """{"offset":3,"partition":1,"topic":"clicks","timestamp":1704067202000,"value":"{\"ts\":1704067202000,\"userId\":2,\"page\":\"cart\"}","key":null}""",
            """not json""",
            """{"Offset":8,"Topic":"clicks","Value":"x"}""",
        ];

        using (var process = new FunctionProcess(store, new CollectingSink<WindowResult<int, long>>(), deadLetters))
        {
            Assert.Equal(new FunctionBatchResult(2, 0, 2, 0), await process.Runner.RunKafkaAsync(events));
        }

        Assert.NotNull(await store.LoadAsync("visits/clicks-0"));
        Assert.NotNull(await store.LoadAsync("visits/clicks-1"));
        Assert.Collection(
            deadLetters.Flushed,
            letter => Assert.Equal(("", -1L, "not json"), (letter.Partition, letter.Position, letter.PayloadText)),
            letter => Assert.Equal("not a Kafka trigger event: Offset, Partition or Topic missing", letter.Reason));

        // Nothing taken this time: the dead letters show how each event was read.
        deadLetters.Clear();
        using var late = new FunctionProcess(new FileStateStore(_dir.File("other")), new CollectingSink<WindowResult<int, long>>(), deadLetters, timeout: TimeSpan.FromSeconds(1));
        await late.Runner.RunKafkaAsync(events[..2]);
        Assert.Collection(
            deadLetters.Flushed,
            letter => Assert.Equal(("clicks-0", 7L, 1_704_067_201_500L, "u1"), (letter.Partition, letter.Position, letter.Timestamp, Encoding.UTF8.GetString(letter.Key))),
            letter => Assert.Equal(("clicks-1", 3L, 1_704_067_202_000L, "{\"ts\":1704067202000,\"userId\":2,\"page\":\"cart\"}"), (letter.Partition, letter.Position, letter.Timestamp, letter.PayloadText)));
    }

    [Fact]
    public async Task RunKafkaAsync_TypedEventsRedelivered_SkippedByOffset()
    {
        var lines = VisitData.Lines(100, seed: 2);
        var events = new KafkaTriggerEvent[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            events[i] = new KafkaTriggerEvent("clicks", i % 2, 1000 + (i / 2), s_enqueued.AddSeconds(i), "k"u8.ToArray(), Utf8(lines[i]));
        }

        using var process = new FunctionProcess(new FileStateStore(_dir.Path), new CollectingSink<WindowResult<int, long>>(), new InMemoryDeadLetterSink());
        Assert.Equal(new FunctionBatchResult(100, 0, 0, 0), await process.Runner.RunKafkaAsync(events));
        Assert.Equal(new FunctionBatchResult(0, 100, 0, 0), await process.Runner.RunKafkaAsync(events));
    }

    private static Task<FunctionBatchResult> RunBytesAsync(FunctionProcess process, List<string> lines, int from, int to, bool finalAttempt = true)
    {
        var bodies = new byte[to - from][];
        var sequences = new long[to - from];
        var times = new DateTime[to - from];
        for (var i = from; i < to; i++)
        {
            bodies[i - from] = Utf8(lines[i]);
            sequences[i - from] = i;
            times[i - from] = s_enqueued.AddMilliseconds(i);
        }

        return process.Runner.RunEventHubsAsync(Partition, bodies, sequences, times, finalAttempt).AsTask();
    }

    private static byte[][] Bodies(IReadOnlyList<CapturedDeadLetter> letters)
    {
        var bodies = new byte[letters.Count][];
        for (var i = 0; i < letters.Count; i++)
        {
            bodies[i] = letters[i].Payload;
        }

        return bodies;
    }

    private static long[] Positions(IReadOnlyList<CapturedDeadLetter> letters)
    {
        var positions = new long[letters.Count];
        for (var i = 0; i < letters.Count; i++)
        {
            positions[i] = letters[i].Position;
        }

        return positions;
    }

    private static DateTime[] Times(IReadOnlyList<CapturedDeadLetter> letters)
    {
        var times = new DateTime[letters.Count];
        for (var i = 0; i < letters.Count; i++)
        {
            times[i] = DateTime.UnixEpoch.AddMilliseconds(letters[i].Timestamp);
        }

        return times;
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
