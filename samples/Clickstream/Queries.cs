using StreamKit;
using StreamKit.Pipeline;
using StreamKit.Windows;

namespace Clickstream;

/// <summary>The clickstream queries, built with struct functors so the JIT specialises every stage.</summary>
public static class Queries
{
    /// <summary>Q1: clicks and purchases, counted and their durations summed, over the whole input.</summary>
    public static Pipeline<ClickEvent> Filter(IRecordSink<WindowResult<(long Count, long SumDurationMs)>> sink, PipelineOptions? options = null) =>
        StreamPipeline.Create(new EventTime(), options)
            .Where(new IsEngagement())
            .Window(WindowSpec.Global)
            .Aggregate(static a => a.Combine(a.Count(), a.Sum(new Duration())))
            .To(sink);

    /// <summary>Q2: page views per page per one-minute tumbling window.</summary>
    public static Pipeline<ClickEvent> Tumbling(IRecordSink<WindowResult<int, long>> sink, PipelineOptions? options = null) =>
        StreamPipeline.Create(new EventTime(), options)
            .Where(new IsView())
            .KeyBy(new ByPage())
            .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
            .Aggregate(static a => a.Count())
            .To(sink);

    /// <summary>Q3: all events per page, five-minute windows every minute.</summary>
    public static Pipeline<ClickEvent> Hopping(IRecordSink<WindowResult<int, long>> sink, PipelineOptions? options = null) =>
        StreamPipeline.Create(new EventTime(), options)
            .KeyBy(new ByPage())
            .Window(WindowSpec.Hopping(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1)))
            .Aggregate(static a => a.Count())
            .To(sink);

    /// <summary>Q4: events per user session, a session ending after 30 minutes without events.</summary>
    public static Pipeline<ClickEvent> Sessions(IRecordSink<WindowResult<int, long>> sink, PipelineOptions? options = null) =>
        StreamPipeline.Create(new EventTime(), options)
            .KeyBy(new ByUser())
            .Window(WindowSpec.Session(TimeSpan.FromMinutes(30)))
            .Aggregate(static a => a.Count())
            .To(sink);
}
