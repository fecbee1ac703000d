namespace StreamKit.Pipeline;

/// <summary>Event-time settings of a pipeline.</summary>
public sealed class PipelineOptions
{
    /// <summary>The pipeline's name: the <c>streamkit.pipeline</c> tag on its metrics.</summary>
    /// <value>Defaults to <c>"default"</c>.</value>
    public string Name { get; set; } = "default";

    /// <summary>How far behind the latest event time seen on a partition an event may still arrive and count as on time.</summary>
    /// <remarks>The watermark trails the largest event time by this much: larger values tolerate more disorder but delay every window's result by as much.</remarks>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan MaxOutOfOrderness { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long (wall clock) a partition may send nothing before it stops holding the watermark back.</summary>
    /// <value>Defaults to 1 minute; <see cref="Timeout.InfiniteTimeSpan"/> never treats a partition as idle.</value>
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
