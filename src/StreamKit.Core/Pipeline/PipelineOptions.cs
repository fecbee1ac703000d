namespace StreamKit.Pipeline;

/// <summary>Event-time settings of a pipeline.</summary>
public sealed class PipelineOptions
{
    /// <summary>The pipeline's name: the <c>streamkit.pipeline</c> tag on its metrics.</summary>
    /// <value>Defaults to <c>"default"</c>.</value>
    public string Name { get; set; } = "default";

    /// <summary>How far behind the latest event time seen on a partition an event may still arrive and count as on time.</summary>
    /// <remarks>
    /// <para>The watermark rules: a partition's watermark is the largest event time it has sent minus this; the
    /// pipeline's watermark is the smallest partition watermark over partitions that have sent data, have not ended
    /// and are not idle (<see cref="IdleTimeout"/>), and never moves back. It is recomputed only between batches, so
    /// disorder within one batch is never lateness.</para>
    /// <para>A window <c>[start, end)</c> fires once the watermark reaches <c>end</c>. An event is late when every
    /// window containing it has fired; what then happens is the window's late-event policy
    /// (<see cref="WindowedPipelineBuilder{TIn, T, TKey, TKeySelector}.DropLate"/>,
    /// <see cref="WindowedPipelineBuilder{TIn, T, TKey, TKeySelector}.LateTo"/>,
    /// <see cref="WindowedPipelineBuilder{TIn, T, TKey, TKeySelector}.AllowedLateness"/>).</para>
    /// <para>Larger values tolerate more disorder but delay every window's result by as much. Part of the pipeline's
    /// definition: a snapshot taken with another value is refused on restore.</para>
    /// </remarks>
    /// <value>Defaults to 5 seconds; must not be negative.</value>
    public TimeSpan MaxOutOfOrderness { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long (wall clock) a partition may send nothing before it stops holding the watermark back.</summary>
    /// <remarks>
    /// An idle partition is left out of the pipeline's watermark (see <see cref="MaxOutOfOrderness"/>) until it sends
    /// again, so one quiet partition does not stop every window from firing; its events that then arrive behind the
    /// watermark are late. Idleness is checked between batches and when a poll returns nothing
    /// (<see cref="Pipeline{T}.Tick"/>). Partitions announced before their first record hold the watermark back until
    /// they send data or end, whatever this timeout.
    /// </remarks>
    /// <value>Defaults to 1 minute; must be positive, or <see cref="Timeout.InfiniteTimeSpan"/> never to treat a partition as idle.</value>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The wall clock for idleness; replace it in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(Name);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        if (MaxOutOfOrderness < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxOutOfOrderness), MaxOutOfOrderness, "Out-of-orderness cannot be negative.");
        }

        if (IdleTimeout <= TimeSpan.Zero && IdleTimeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(IdleTimeout), IdleTimeout, "The idle timeout must be positive or infinite.");
        }
    }
}
