using StreamKit.Pipeline;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Testing.Tests;

public class PipelineTestDriverTests
{
    private const long Minute = 60_000;

    [Fact]
    public void AdvanceWatermark_PastWindowEnd_FiresTheWindow()
    {
        var (driver, sink) = CountsPerPage();

        driver.Push([new Click(1_000, 7), new Click(2_000, 7), new Click(3_000, 8)]);
        Assert.Empty(sink.Records);

        driver.AdvanceWatermark(Minute);

        Assert.Equal([new WindowResult<int, long>(0, Minute, 7, 2, false), new WindowResult<int, long>(0, Minute, 8, 1, false)], sink.Records.OrderBy(static r => r.Key));
        Assert.Equal(Minute, driver.Watermark);
    }

    [Fact]
    public void Push_ExplicitTimestamps_OverrideTheSelector()
    {
        var (driver, sink) = CountsPerPage();

        driver.Push(new Click(0, 7), timestamp: Minute + 5);
        driver.Push([new Click(0, 7), new Click(0, 8)], [Minute + 6, 5 * Minute]);
        driver.Complete();

        Assert.Equal([(Minute, 7, 2L), (5 * Minute, 8, 1L)], sink.Records.Select(static r => (r.Start, r.Key, r.Value)).Order());
    }

    [Fact]
    public void Push_FilteringPipeline_LeavesCallersRecordsUntouched()
    {
        var sink = new CollectingSink<WindowResult<long>>();
        var driver = new PipelineTestDriver<Click>(options => StreamPipeline.Create<Click>(static c => c.Ts, options)
            .Where(static c => c.Page == 8)
            .Window(WindowSpec.Global)
            .Aggregate(static a => a.Count())
            .To(sink));
        Click[] clicks = [new(1, 7), new(2, 8), new(3, 7), new(4, 8)];

        driver.Push(clicks);
        driver.Complete();

        Assert.Equal([new Click(1, 7), new Click(2, 8), new Click(3, 7), new Click(4, 8)], clicks);
        Assert.Equal(2, Assert.Single(sink.Records).Value);
    }

    [Fact]
    public void AdvanceTime_PastIdleTimeout_IdlePartitionStopsHoldingTheWatermark()
    {
        var (driver, sink) = CountsPerPage(new PipelineOptions { MaxOutOfOrderness = TimeSpan.Zero, IdleTimeout = TimeSpan.FromSeconds(30) });

        driver.Push([new Click(1_000, 7)], partition: 0);
        driver.Push([new Click(10 * Minute, 7)], partition: 1);
        Assert.Equal(1_000, driver.Watermark); // partition 0 holds it back
        Assert.Empty(sink.Records);

        driver.AdvanceTime(TimeSpan.FromSeconds(29));
        Assert.Equal(1_000, driver.Watermark);
        driver.Push([new Click((10 * Minute) + 1, 7)], partition: 1); // partition 1 stays active
        driver.AdvanceTime(TimeSpan.FromSeconds(1));

        Assert.Equal((10 * Minute) + 1, driver.Watermark);
        Assert.Equal((0L, 1L), (Assert.Single(sink.Records).Start, sink.Records[0].Value));
    }

    [Fact]
    public void Restore_SnapshotIntoNewPipeline_ContinuesAsTheOriginal()
    {
        var (original, originalSink) = CountsPerPage();
        var (restored, restoredSink) = CountsPerPage();
        original.Push([new Click(1_000, 7), new Click(61_000, 7)]);
        original.AdvanceWatermark(Minute);

        restored.Restore(original.Snapshot());
        Click[] rest = [new Click(62_000, 7), new Click(63_000, 9)];
        original.Push(rest);
        restored.Push(rest);
        original.Complete();
        restored.Complete();

        Assert.Equal(restored.Watermark, original.Watermark);
        Assert.Equal(originalSink.Records.Skip(1), restoredSink.Records);
    }

    [Fact]
    public void Restore_SnapshotFromDifferentPipeline_Throws()
    {
        var (counts, _) = CountsPerPage();
        var sink = new CollectingSink<WindowResult<long>>();
        var global = new PipelineTestDriver<Click>(options => StreamPipeline.Create<Click>(static c => c.Ts, options).Window(WindowSpec.Global).Aggregate(static a => a.Count()).To(sink));

        var changed = Assert.Throws<IncompatibleStateException>(() => counts.Restore(global.Snapshot()));
        Assert.Contains("window: global in the snapshot, tumbling", changed.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidDataException>(() => counts.Restore([1, 2, 3]));
    }

    [Fact]
    public void Push_WithoutSelector_RequiresTimestamps()
    {
        var sink = new CollectingSink<WindowResult<long>>();
        var driver = new PipelineTestDriver<Click>(options => StreamPipeline.Create<Click>(options).Window(WindowSpec.Global).Aggregate(static a => a.Count()).To(sink));

        Assert.Throws<InvalidOperationException>(() => driver.Push([new Click(1, 1)]));
        driver.Push(new Click(1, 1), timestamp: 5);
        driver.Complete();
        Assert.Equal(1, Assert.Single(sink.Records).Value);
    }

    [Fact]
    public async Task FlushAsync_Sink_MarksOutputFlushed()
    {
        var (driver, sink) = CountsPerPage();
        driver.Push([new Click(1_000, 7)]);
        driver.Complete();

        Assert.Empty(sink.Flushed);
        await driver.FlushAsync();

        Assert.Single(sink.Flushed);
    }

    private static (PipelineTestDriver<Click> Driver, CollectingSink<WindowResult<int, long>> Sink) CountsPerPage(PipelineOptions? options = null)
    {
        var sink = new CollectingSink<WindowResult<int, long>>();
        var driver = new PipelineTestDriver<Click>(
            o => StreamPipeline.Create<Click>(static c => c.Ts, o)
                .KeyBy(static c => c.Page)
                .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
                .Aggregate(static a => a.Count())
                .To(sink),
            options ?? new PipelineOptions { MaxOutOfOrderness = TimeSpan.Zero });
        return (driver, sink);
    }

    internal readonly record struct Click(long Ts, int Page);
}
