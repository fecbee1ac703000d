using System.Buffers;
using StreamKit.Pipeline;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Pipeline;

/// <summary>A Where right before a window runs in the window's loop: the same output, counters and snapshots as a Where that compacts the batch.</summary>
public sealed class FusedFilterTests
{
    private static readonly Reading[][] s_batches =
    [
        [new(100, 1, 1), new(900, 3, 2), new(950, 4, 1), new(2500, 2, 2)],
        [new(200, 5, 1), new(3100, 6, 2), new(3200, 7, 1)],
        [new(50, 8, 2), new(4100, 9, 1), new(4150, 10, 2)],
        [new(5000, 3, 1), new(5100, 6, 2)],
    ];

    public static TheoryData<WindowKind> Kinds() => [.. Enum.GetValues<WindowKind>()];

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Where_BeforeWindow_SameOutputCountersAndSnapshotsAsCompactingWhere(WindowKind kind)
    {
        var inWindow = Build(kind, compacting: false);
        var compacting = Build(kind, compacting: true);
        foreach (var batch in s_batches)
        {
            inWindow.Pipeline.Process((Reading[])batch.Clone());
            compacting.Pipeline.Process((Reading[])batch.Clone());
            Assert.Equal(Snapshot(compacting.Pipeline), Snapshot(inWindow.Pipeline));
        }

        inWindow.Pipeline.Complete();
        compacting.Pipeline.Complete();

        Assert.NotEmpty(compacting.Results.Records);
        Assert.Equal(compacting.Results.Records, inWindow.Results.Records);
        Assert.Equal(compacting.Late.Records, inWindow.Late.Records);
        Assert.Equal(compacting.Pipeline.Counters.Late, inWindow.Pipeline.Counters.Late);
        Assert.Equal(compacting.Pipeline.Counters.In, inWindow.Pipeline.Counters.In);
        Assert.Equal(compacting.Pipeline.Counters.Out, inWindow.Pipeline.Counters.Out);
        Assert.Equal(compacting.Pipeline.Counters.Dropped, inWindow.Pipeline.Counters.Dropped);
        Assert.Equal(compacting.Pipeline.Counters.Fired, inWindow.Pipeline.Counters.Fired);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void ReadState_SnapshotOfCompactingWhere_RestoresIntoWhereRunInWindow(WindowKind kind)
    {
        var uninterrupted = Build(kind, compacting: true);
        var before = Build(kind, compacting: true);
        var after = Build(kind, compacting: false);
        foreach (var batch in s_batches)
        {
            uninterrupted.Pipeline.Process((Reading[])batch.Clone());
        }

        uninterrupted.Pipeline.Complete();
        before.Pipeline.Process((Reading[])s_batches[0].Clone());
        before.Pipeline.Process((Reading[])s_batches[1].Clone());
        var reader = new StateReader(Snapshot(before.Pipeline));
        after.Pipeline.ReadState(ref reader);
        after.Pipeline.Process((Reading[])s_batches[2].Clone());
        after.Pipeline.Process((Reading[])s_batches[3].Clone());
        after.Pipeline.Complete();

        Assert.Equal(uninterrupted.Results.Records, [.. before.Results.Records, .. after.Results.Records]);
    }

    [Fact]
    public void Where_NothingPassesBeforeGlobalWindow_EmitsNothing()
    {
        var sink = new CollectingSink<WindowResult<long>>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts)
            .Where(static r => r.Value > 100)
            .Window(WindowSpec.Global)
            .Aggregate(static a => a.Count())
            .To(sink);

        pipeline.Process(new Reading[] { new(100, 1, 1), new(200, 2, 2) });
        pipeline.Complete();

        Assert.Empty(sink.Records);
        Assert.Equal(2, pipeline.Counters.In);
    }

    [Fact]
    public void Where_TwoBeforeWindow_SecondAskedOnlyAboutRecordsTheFirstPasses()
    {
        var asked = new List<int>();
        var sink = new CollectingSink<WindowResult<long>>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts)
            .Where(static r => r.Value % 2 == 0)
            .Where(r =>
            {
                asked.Add(r.Value);
                return r.Value > 2;
            })
            .Window(WindowSpec.Global)
            .Aggregate(static a => a.Sum(static r => (long)r.Value))
            .To(sink);

        pipeline.Process(new Reading[] { new(100, 1, 1), new(200, 2, 1), new(300, 3, 1), new(400, 4, 1), new(500, 6, 1) });
        pipeline.Complete();

        Assert.Equal([2, 4, 6], asked);
        Assert.Equal([new WindowResult<long>(long.MinValue, long.MaxValue, 10, false)], sink.Records);
    }

    [Fact]
    public void Process_NoStageReadsTimestamps_WatermarkFollowsLargestEventTime()
    {
        var random = new Random(11);
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts, new PipelineOptions { MaxOutOfOrderness = TimeSpan.Zero })
            .Window(WindowSpec.Global)
            .Aggregate(static a => a.Count())
            .To(new CollectingSink<WindowResult<long>>());
        var largest = long.MinValue;
        for (var length = 1; length <= 40; length++)
        {
            var batch = new Reading[length];
            for (var i = 0; i < length; i++)
            {
                batch[i] = new Reading(random.NextInt64(-1_000_000, 1_000_000) + (length * 10_000L), 1, 1);
                largest = Math.Max(largest, batch[i].Ts);
            }

            pipeline.Process(batch);

            Assert.Equal(largest, pipeline.Watermark);
        }
    }

    private static Built Build(WindowKind kind, bool compacting)
    {
        var results = new CollectingSink<WindowResult<int, (long Count, long Sum)>>();
        var late = new CollectingSink<Reading>();
        var start = StreamPipeline.Create<Reading>(static r => r.Ts, new PipelineOptions { MaxOutOfOrderness = TimeSpan.FromMilliseconds(100) })
            .Where(static r => r.Value % 3 != 0);

        // An identity Select between the Where and the window keeps the Where a stage of its own.
        start = compacting ? start.Select(static r => r) : start;
        var spec = kind switch
        {
            WindowKind.Tumbling => WindowSpec.Tumbling(TimeSpan.FromSeconds(1)),
            WindowKind.Hopping => WindowSpec.Hopping(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)),
            WindowKind.Session => WindowSpec.Session(TimeSpan.FromMilliseconds(500)),
            _ => WindowSpec.Global,
        };
        var windowed = start.KeyBy(static r => r.Key).Window(spec);
        if (kind != WindowKind.Global)
        {
            windowed.LateTo(late);
        }

        var pipeline = windowed.Aggregate(static a => a.Combine(a.Count(), a.Sum(static r => (long)r.Value))).To(results);
        return new Built(pipeline, results, late);
    }

    private static byte[] Snapshot(Pipeline<Reading> pipeline)
    {
        var buffer = new ArrayBufferWriter<byte>();
        pipeline.WriteState(new StateWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private sealed record Built(Pipeline<Reading> Pipeline, CollectingSink<WindowResult<int, (long Count, long Sum)>> Results, CollectingSink<Reading> Late);

    private readonly record struct Reading(long Ts, int Value, int Key);
}
