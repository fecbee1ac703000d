using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

/// <summary>Starts building a pipeline.</summary>
/// <example>
/// <code>
/// var pipeline = StreamPipeline.Create&lt;Click&gt;(static c => c.Ts)
///     .Where(static c => c.Kind == ClickKind.View)
///     .KeyBy(static c => c.PageId)
///     .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
///     .Aggregate(static a => a.Count())
///     .To(sink);
/// pipeline.Process(batch);
/// </code>
/// </example>
public static class StreamPipeline
{
    /// <summary>A pipeline whose event time is read from each record by a lambda.</summary>
    public static PipelineBuilder<T, T> Create<T>(Func<T, long> eventTime, PipelineOptions? options = null)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(eventTime);
        return Create<T, DelegateSelector<T, long>>(new(eventTime), options);
    }

    /// <summary>A pipeline whose event time is read from each record by a struct selector (inlined).</summary>
    public static PipelineBuilder<T, T> Create<T, TEventTime>(TEventTime eventTime, PipelineOptions? options = null)
        where T : struct
        where TEventTime : struct, ISelector<T, long> =>
        Start<T>(new Pipeline<T>.Timestamps<TEventTime>(eventTime), options);

    /// <summary>A pipeline whose event time is read by a struct selector that names itself: <c>Create(new EventTime())</c>.</summary>
    /// <remarks>The same pipeline as <see cref="Create{T, TEventTime}(TEventTime, PipelineOptions?)"/>; see <see cref="ISelector{TSelf, T, TResult}"/>.</remarks>
    public static PipelineBuilder<T, T> Create<TEventTime, T>(ISelector<TEventTime, T, long> eventTime, PipelineOptions? options = null)
        where T : struct
        where TEventTime : struct, ISelector<TEventTime, T, long>
    {
        ArgumentNullException.ThrowIfNull(eventTime);
        return Create<T, TEventTime>((TEventTime)eventTime, options);
    }

    /// <summary>A pipeline whose event times are passed with each batch (e.g. the source's timestamps).</summary>
    public static PipelineBuilder<T, T> Create<T>(PipelineOptions? options = null)
        where T : struct => Start<T>(null, options);

    private static PipelineBuilder<T, T> Start<T>(Pipeline<T>.ITimestamps? eventTime, PipelineOptions? options)
        where T : struct
    {
        options ??= new PipelineOptions();
        options.Validate();
        return new PipelineBuilder<T, T>(new BuildContext<T>(options, eventTime), static next => next);
    }
}
