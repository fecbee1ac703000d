using StreamKit.Pipeline;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Pipeline;

/// <summary>A window without a key emits <see cref="WindowResult{TValue}"/>: the keyed result without its empty key.</summary>
public sealed class UnkeyedWindowTests
{
    [Fact]
    public void Window_Tumbling_EmitsOneResultPerWindowWithoutKey()
    {
        var sink = new CollectingSink<WindowResult<(long Count, long Sum)>>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts, InOrder())
            .Where(static r => r.Value > 0)
            .Window(WindowSpec.Tumbling(TimeSpan.FromSeconds(1)))
            .Aggregate(static a => a.Combine(a.Count(), a.Sum(static r => (long)r.Value)))
            .To(sink);

        pipeline.Process(new Reading[] { new(100, 1), new(900, 2), new(950, -5), new(1500, 4) });
        pipeline.Complete();

        Assert.Equal(
            [new(0, 1000, (2, 3), false), new(1000, 2000, (1, 4), false)],
            sink.Records.OrderBy(static r => r.Start));
    }

    [Fact]
    public void Window_AllowedLateness_MarksLateResultsAsUpdates()
    {
        var sink = new CollectingSink<WindowResult<long>>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts, InOrder())
            .Window(WindowSpec.Tumbling(TimeSpan.FromSeconds(1)))
            .AllowedLateness(TimeSpan.FromSeconds(10))
            .Aggregate(static a => a.Count())
            .To(sink);

        pipeline.Process(new Reading[] { new(100, 1), new(2500, 1) });
        pipeline.Process(new Reading[] { new(200, 1) });
        pipeline.Complete();

        Assert.Contains(new WindowResult<long>(0, 1000, 1, false), sink.Records);
        Assert.Contains(new WindowResult<long>(0, 1000, 2, true), sink.Records);
    }

    [Fact]
    public void Window_LateTo_SendsLateRecordsToTheSideOutput()
    {
        var late = new CollectingSink<Reading>();
        var pipeline = StreamPipeline.Create<Reading>(static r => r.Ts, InOrder())
            .Window(WindowSpec.Tumbling(TimeSpan.FromSeconds(1)))
            .LateTo(late)
            .Aggregate(static a => a.Count())
            .To(new CollectingSink<WindowResult<long>>());

        pipeline.Process(new Reading[] { new(100, 1), new(2500, 1) });
        pipeline.Process(new Reading[] { new(200, 9) });

        Assert.Equal([new Reading(200, 9)], late.Records);
    }

    private static PipelineOptions InOrder() => new() { MaxOutOfOrderness = TimeSpan.Zero };

    private readonly record struct Reading(long Ts, int Value);
}
