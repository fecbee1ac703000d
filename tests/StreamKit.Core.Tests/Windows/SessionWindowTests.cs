using StreamKit.Aggregates;
using StreamKit.Operators;
using StreamKit.Pipeline;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Windows;

public sealed class SessionWindowTests
{
    private static (Pipeline<Ev> Pipeline, CollectingSink<WindowResult<int, long>> Sink) Build(long gapMs, long outOfOrderMs, long? latenessMs = null)
    {
        var sink = new CollectingSink<WindowResult<int, long>>();
        var options = new PipelineOptions { MaxOutOfOrderness = TimeSpan.FromMilliseconds(outOfOrderMs), IdleTimeout = Timeout.InfiniteTimeSpan };
        var windowed = StreamPipeline.Create<Ev>(static e => e.Ts, options)
            .KeyBy(static e => e.Key)
            .Window(WindowSpec.Session(TimeSpan.FromMilliseconds(gapMs)));
        if (latenessMs is { } lateness)
        {
            windowed = windowed.AllowedLateness(TimeSpan.FromMilliseconds(lateness));
        }

        return (windowed.Aggregate(static a => a.Count()).To(sink), sink);
    }

    private static void Send(Pipeline<Ev> pipeline, params long[] times)
    {
        var batch = times.Select(static t => new Ev(t, 1, 0, 0)).ToArray();
        pipeline.Process(batch);
    }

    [Fact]
    public void Session_OutOfOrderEventBridgingTwoOpenSessions_MergesThemIntoOne()
    {
        var (pipeline, sink) = Build(gapMs: 50, outOfOrderMs: 100);
        Send(pipeline, 1000);
        Send(pipeline, 1080); // 80 ms after the first: a second session
        Send(pipeline, 1040); // out of order but within the out-of-orderness: within the gap of both
        Assert.Empty(sink.Records);
        Assert.Equal(0, pipeline.Counters.Late);

        Send(pipeline, 1300); // watermark 1200 closes [1000, 1130)
        var result = Assert.Single(sink.Records);
        Assert.Equal(new WindowResult<int, long>(1000, 1130, 1, 3, false), result);
    }

    [Fact]
    public void Session_ExtendedBeforeItsFirstEndComesDue_FiresOnceAtItsNewEnd()
    {
        var (pipeline, sink) = Build(gapMs: 50, outOfOrderMs: 0);
        Send(pipeline, 1000);
        Send(pipeline, 1040); // its queued end 1050 is now stale: [1000, 1090)
        Send(pipeline, 1060); // watermark 1060 passes 1050: the session is queued again at 1110
        Send(pipeline, 1075); // and extended again before that comes due
        Assert.Empty(sink.Records);

        Send(pipeline, 1200);
        Assert.Equal([new WindowResult<int, long>(1000, 1125, 1, 4, false)], sink.Records);
    }

    [Fact]
    public void Session_EndsQueuedOutOfOrder_FireInEndOrder()
    {
        var (pipeline, sink) = Build(gapMs: 50, outOfOrderMs: 100);
        pipeline.Process([new Ev(1100, 1, 0, 0), new Ev(1020, 2, 0, 0), new Ev(1110, 3, 0, 0)]); // key 2 ends first
        pipeline.Process([new Ev(1030, 4, 0, 0), new Ev(1000, 2, 0, 0)]); // key 4 ends before key 1; key 2 starts earlier
        pipeline.Process([new Ev(1265, 5, 0, 0)]); // watermark 1165

        Assert.Equal(
            [
                new WindowResult<int, long>(1000, 1070, 2, 2, false),
                new WindowResult<int, long>(1030, 1080, 4, 1, false),
                new WindowResult<int, long>(1100, 1150, 1, 1, false),
                new WindowResult<int, long>(1110, 1160, 3, 1, false),
            ],
            sink.Records);
    }

    [Fact]
    public void Session_BridgingEventInSameBatch_MergesSessions()
    {
        var (pipeline, sink) = Build(gapMs: 50, outOfOrderMs: 100);
        Send(pipeline, 1000, 1080, 1040);
        pipeline.Complete();
        Assert.Equal([new WindowResult<int, long>(1000, 1130, 1, 3, false)], sink.Records);
    }

    [Fact]
    public void Session_LateEventBridgingFiredAndOpenSessionWithinLateness_MergesAndFiresOnceAsUpdate()
    {
        var (pipeline, sink) = Build(gapMs: 50, outOfOrderMs: 0, latenessMs: 200);
        Send(pipeline, 1000);
        Send(pipeline, 1060); // watermark 1060 fires [1000, 1050)
        Assert.Equal([new WindowResult<int, long>(1000, 1050, 1, 1, false)], sink.Records);

        Send(pipeline, 1030); // behind the watermark; within the gap of the fired (kept) session and the open one
        Assert.Equal(0, pipeline.Counters.Dropped);
        pipeline.Complete();
        Assert.Equal(
            [new WindowResult<int, long>(1000, 1050, 1, 1, false), new WindowResult<int, long>(1000, 1110, 1, 3, true)],
            sink.Records);
    }

    [Fact]
    public void Session_LateEventWithinLatenessOfFiredSession_EmitsUpdateImmediately()
    {
        var (pipeline, sink) = Build(gapMs: 50, outOfOrderMs: 0, latenessMs: 200);
        Send(pipeline, 1000);
        Send(pipeline, 1100); // fires [1000, 1050)
        Send(pipeline, 1020); // joins the fired session; [1000, 1070) is still closed at watermark 1100
        Assert.Equal(
            [new WindowResult<int, long>(1000, 1050, 1, 1, false), new WindowResult<int, long>(1000, 1070, 1, 2, true)],
            sink.Records);
        Assert.Equal(1, pipeline.Counters.Late);
        Assert.Equal(0, pipeline.Counters.Dropped);
    }

    [Fact]
    public void Session_EventTooLateForAnySession_IsDroppedAndCounted()
    {
        var (pipeline, sink) = Build(gapMs: 50, outOfOrderMs: 0);
        Send(pipeline, 1000);
        Send(pipeline, 2000);
        Send(pipeline, 1020); // its session [1020, 1070) would already be closed, and [1000, 1050) has fired
        pipeline.Complete();
        Assert.Equal(1, pipeline.Counters.Late);
        Assert.Equal(1, pipeline.Counters.Dropped);
        Assert.Equal(2, sink.Records.Count);
    }

    [Theory]
    [InlineData(LateEventPolicy.Drop)]
    [InlineData(LateEventPolicy.SideOutput)]
    [InlineData(LateEventPolicy.Update)]
    public void Session_ThousandsOfKeysOpeningAndClosing_MatchesReferenceModel(LateEventPolicy policy)
    {
        // The property tests use a handful of keys; this drives the session index through growth, collisions and
        // deletions (thousands of keys whose sessions open and close all the time, some keys far more often than
        // others, events out of order and late).
        var random = new Random(11);
        var batches = new List<Batch>();
        long clock = 1_000_000;
        for (var b = 0; b < 300; b++)
        {
            var events = new Ev[random.Next(1, 200)];
            for (var i = 0; i < events.Length; i++)
            {
                clock += random.Next(0, 3);
                var key = random.Next(4) == 0 ? random.Next(64) : random.Next(8_000);
                var behind = random.Next(50) == 0 ? random.Next(0, 900) : random.Next(0, 40);
                events[i] = new Ev(clock - behind, key, random.Next(-50, 51), random.Next(20));
            }

            batches.Add(new Batch(0, events, 10));
        }

        var scenario = new Scenario { Kind = WindowKind.Session, Gap = 150, Policy = policy, LatenessMs = 300, OutOfOrderMs = 100, Batches = batches };
        var model = ReferenceModel.Run(scenario);
        var harness = WindowHarness.Build(scenario, Agg.Combine);
        harness.Feed(scenario);
        harness.Pipeline.Complete();

        harness.AssertMatches(model, Agg.Combine, scenario);
        Assert.True(model.Late > 0, "no late events");
    }

    [Fact]
    public void State_OpenSessionsWithIntKeysAndLongCounts_Hold48BytesEachWithFullArrays()
    {
        // 65,536 keys with one open session each, ends in order (Q4's shape): the arrays, grown by doubling from 64,
        // are exactly full. Per open session: 8 B of index (load 1/2), a 32-byte session and an 8-byte ring entry;
        // besides, the heap's 64 entries of 12 bytes, whatever the number of sessions.
        const int sessions = 1 << 16;
        var window = new SessionWindowOperator<Ev, int, EvKey, long, long, CountAggregator<Ev>>(
            WindowSpec.Session(TimeSpan.FromMinutes(30)), default, default, new WindowSettings<Ev>(LateEventPolicy.Drop, 0, null, new PipelineCounters()), new Discard());
        var items = new Ev[sessions];
        var times = new long[sessions];
        for (var i = 0; i < sessions; i++)
        {
            items[i] = new Ev(i, i, 0, 0);
            times[i] = i;
        }

        window.OnBatch(items, times);

        const long heap = 64 * 12;
        Assert.Equal((48L * sessions) + heap, window.ArrayBytes);
    }

    private sealed class Discard : BatchOperator<WindowResult<int, long>>
    {
        public override bool ReadsTimestamps => false;

        public override void OnBatch(Span<WindowResult<int, long>> items, Span<long> timestamps) => Assert.Fail("no session should close");

        public override void OnWatermark(long watermark)
        {
        }

        public override void OnCompleted()
        {
        }

        public override void WriteState(StateWriter writer)
        {
        }

        public override void ReadState(ref StateReader reader)
        {
        }

        public override void Describe(List<KeyValuePair<string, string>> definition)
        {
        }
    }
}
