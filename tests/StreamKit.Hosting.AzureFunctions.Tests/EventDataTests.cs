using System.Text;
using Azure.Messaging.EventHubs;
using StreamKit.Hosting.AzureFunctions.Tests.Support;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Hosting.AzureFunctions.Tests;

/// <summary>The isolated worker's <see cref="EventData"/> binding, with events as Event Hubs delivers them (<see cref="EventHubsModelFactory"/>).</summary>
public sealed class EventDataTests : IDisposable
{
    private const string Partition = "5";
    private static readonly DateTimeOffset s_enqueued = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task RunEventHubsAsync_EventData_CarriesPartitionSequenceNumberEnqueuedTimeAndPartitionKey()
    {
        // A deadline already inside the margin: nothing is taken, so every record comes back as a dead letter with what the adapter made of it.
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(new FileStateStore(_dir.Path), new CollectingSink<WindowResult<int, long>>(), deadLetters, timeout: TimeSpan.FromSeconds(1));
        var system = new Dictionary<string, object> { ["x-opt-publisher"] = "clicks-producer" };
        EventData[] events =
        [
            EventHubsModelFactory.EventData(new BinaryData("{\"a\":1}"u8.ToArray()), new Dictionary<string, object> { ["app"] = 1 }, system, partitionKey: "user-\u00e9", sequenceNumber: 41, offsetString: "4096", enqueuedTime: s_enqueued),
            EventHubsModelFactory.EventData(new BinaryData("caf\u00e9"u8.ToArray()), systemProperties: system, partitionKey: null, sequenceNumber: 42, offsetString: "4160", enqueuedTime: s_enqueued.AddMilliseconds(1500)),
        ];

        var result = await process.Runner.RunEventHubsAsync(Partition, events);

        Assert.Equal(new FunctionBatchResult(0, 0, 2, 2), result);
        var letters = deadLetters.Flushed;
        Assert.Equal(2, letters.Count);
        Assert.All(letters, letter => Assert.Equal(Partition, letter.Partition));
        Assert.Equal([41L, 42L], letters.Select(l => l.Position));
        Assert.Equal([s_enqueued.ToUnixTimeMilliseconds(), s_enqueued.ToUnixTimeMilliseconds() + 1500], letters.Select(l => l.Timestamp));
        Assert.Equal("user-\u00e9", Encoding.UTF8.GetString(letters[0].Key));
        Assert.Empty(letters[1].Key);
        Assert.Equal("{\"a\":1}", letters[0].PayloadText);
        Assert.Equal("caf\u00e9", letters[1].PayloadText);
        Assert.All(letters, letter => Assert.Equal(AzureFunctionsRunner<Visit>.PastDeadlineReason, letter.Reason));
    }

    [Fact]
    public async Task RunEventHubsAsync_EventDataBatchesInNewProcessesSomeTwiceAndHalved_EqualsOneUninterruptedRun()
    {
        var lines = VisitData.Lines(2000, seed: 31);
        var events = Events(lines, 0, lines.Count);
        var store = new FileStateStore(_dir.Path);
        var sink = new CollectingSink<WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();

        var cuts = new[] { 0, 600, 601, 1500, 2000 };
        List<PageCount>? results = null;
        for (var b = 0; b + 1 < cuts.Length; b++)
        {
            var (from, to) = (cuts[b], cuts[b + 1]);
            using (var first = new FunctionProcess(store, sink, deadLetters))
            {
                Assert.Equal(new FunctionBatchResult(to - from, 0, 0, 0), await first.Runner.RunEventHubsAsync(Partition, events[from..to]));
            }

            // A host crash before the checkpoint: the trigger delivers the batch again, or from its middle.
            using var again = new FunctionProcess(store, sink, deadLetters);
            Assert.Equal(new FunctionBatchResult(0, to - from, 0, 0), await again.Runner.RunEventHubsAsync(Partition, events[from..to]));
            Assert.Equal((to - from) / 2, (await again.Runner.RunEventHubsAsync(Partition, events[(from + ((to - from + 1) / 2))..to])).Skipped);
            results = again.Canonical(sink.Flushed);
        }

        Assert.Empty(deadLetters.Letters);
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: false), results);
    }

    [Fact]
    public async Task RunEventHubsAsync_EventDataSinkFailsOnFinalAttempt_EveryRecordDeadLetteredAndTheirReplayCountsEachOnce()
    {
        var lines = VisitData.Lines(1200, seed: 32);
        var store = new FileStateStore(_dir.Path);
        var sink = new FailingSink();
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(store, sink, deadLetters);
        await process.Runner.RunEventHubsAsync(Partition, Events(lines, 0, 400));

        sink.Failing = true;
        var failure = await Assert.ThrowsAsync<IOException>(() => process.Runner.RunEventHubsAsync(Partition, Events(lines, 400, 1200)).AsTask());

        Assert.Equal("the sink is unavailable", failure.Message);
        Assert.Equal(800, deadLetters.Flushed.Count);
        for (var i = 0; i < 800; i++)
        {
            Assert.Equal(400 + i, deadLetters.Flushed[i].Position);
            Assert.Equal(lines[400 + i], deadLetters.Flushed[i].PayloadText);
            Assert.Equal("user-" + (400 + i), Encoding.UTF8.GetString(deadLetters.Flushed[i].Key));
            Assert.StartsWith(AzureFunctionsRunner<Visit>.FailedReasonPrefix + "IOException: the sink is unavailable", deadLetters.Flushed[i].Reason, StringComparison.Ordinal);
        }

        // Replayed under their sequence numbers, the dead letters complete the run; delivered again, they are skipped.
        sink.Failing = false;
        sink.Inner.DropUnflushed();
        var replay = deadLetters.Flushed.Select(l => EventHubsModelFactory.EventData(new BinaryData(l.Payload), partitionKey: Encoding.UTF8.GetString(l.Key), sequenceNumber: l.Position, offsetString: "0", enqueuedTime: DateTimeOffset.FromUnixTimeMilliseconds(l.Timestamp))).ToArray();
        Assert.Equal(new FunctionBatchResult(800, 0, 0, 0), await process.Runner.RunEventHubsAsync(Partition, replay));
        Assert.Equal(new FunctionBatchResult(0, 800, 0, 0), await process.Runner.RunEventHubsAsync(Partition, replay));
        Assert.Equal(VisitPipeline.ReferenceRun(lines, complete: false), process.Canonical(sink.Inner.Flushed));
    }

    [Fact]
    public async Task RunEventHubsAsync_EventNotReceivedFromEventHubs_ThrowsBeforeRunning()
    {
        var deadLetters = new InMemoryDeadLetterSink();
        using var process = new FunctionProcess(new FileStateStore(_dir.Path), new CollectingSink<WindowResult<int, long>>(), deadLetters);
        var received = Events(VisitData.Lines(2, seed: 1), 0, 1)[0];

        await Assert.ThrowsAsync<ArgumentException>(() => process.Runner.RunEventHubsAsync(Partition, [received, new EventData("{}"u8.ToArray())]).AsTask());
        await Assert.ThrowsAsync<ArgumentException>(() => process.Runner.RunEventHubsAsync(Partition, [received, null!]).AsTask());
        Assert.Empty(deadLetters.Letters);
    }

    /// <summary>Lines <paramref name="from"/> to <paramref name="to"/> as received events: sequence number = line index, partition key <c>user-N</c>.</summary>
    internal static EventData[] Events(List<string> lines, int from, int to)
    {
        var events = new EventData[to - from];
        for (var i = from; i < to; i++)
        {
            events[i - from] = EventHubsModelFactory.EventData(
                new BinaryData(Encoding.UTF8.GetBytes(lines[i])),
                systemProperties: new Dictionary<string, object>(),
                partitionKey: "user-" + i,
                sequenceNumber: i,
                offsetString: (i * 64L).ToString(System.Globalization.CultureInfo.InvariantCulture),
                enqueuedTime: s_enqueued.AddMilliseconds(i));
        }

        return events;
    }
}
