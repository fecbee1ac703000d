namespace StreamKit.Windows;

/// <summary>How a keyed stream is cut into event-time windows. Make one with <see cref="WindowSpec"/>'s factories.</summary>
/// <remarks>
/// Windows are aligned to the Unix epoch: a one-minute tumbling window starts on whole minutes. Intervals are
/// half-open, <c>[start, end)</c>, in milliseconds.
/// </remarks>
public sealed class WindowSpec
{
    private WindowSpec(WindowKind kind, long size, long hop, long gap)
    {
        Kind = kind;
        SizeMs = size;
        HopMs = hop;
        GapMs = gap;
    }

    /// <summary>Which kind of window this is.</summary>
    public WindowKind Kind { get; }

    /// <summary>The window length in milliseconds (tumbling and hopping).</summary>
    public long SizeMs { get; }

    /// <summary>How far consecutive windows start apart, in milliseconds (equals the size for tumbling windows).</summary>
    public long HopMs { get; }

    /// <summary>The inactivity gap that ends a session, in milliseconds.</summary>
    public long GapMs { get; }

    /// <summary>Fixed, non-overlapping windows: each event is in exactly one.</summary>
    public static WindowSpec Tumbling(TimeSpan size) => Hopping(size, size);

    /// <summary>
    /// Overlapping windows of <paramref name="size"/> starting every <paramref name="hop"/>: each event is in
    /// size/hop windows. The size must be a whole multiple of the hop.
    /// </summary>
    /// <remarks>
    /// State is kept per hop-long slice and a window's result merges its slices, so an event is folded once, not
    /// once per window: the cost of a 5-minute window hopping every minute is one slice update per event plus five
    /// merges per key when a window closes.
    /// </remarks>
    public static WindowSpec Hopping(TimeSpan size, TimeSpan hop)
    {
        var sizeMs = ToMilliseconds(size, nameof(size));
        var hopMs = ToMilliseconds(hop, nameof(hop));
        if (sizeMs % hopMs != 0)
        {
            throw new ArgumentException($"The window size ({size}) must be a whole multiple of the hop ({hop}).", nameof(hop));
        }

        return new WindowSpec(sizeMs == hopMs ? WindowKind.Tumbling : WindowKind.Hopping, sizeMs, hopMs, 0);
    }

    /// <summary>
    /// Per-key sessions: an event less than <paramref name="gap"/> after the previous one (in event time) extends
    /// the session; a gap of at least <paramref name="gap"/> starts a new one. Out-of-order events that bridge two
    /// sessions merge them.
    /// </summary>
    /// <remarks>
    /// A session's window is <c>[first event, last event + gap)</c>; it closes when the watermark passes its end. One
    /// pipeline holds at most 67,108,863 open sessions (about 3 GB of state at 48 bytes each); an event that would open
    /// one more throws <see cref="InvalidOperationException"/>. Partition the input across pipelines beyond that.
    /// </remarks>
    public static WindowSpec Session(TimeSpan gap) => new(WindowKind.Session, 0, 0, ToMilliseconds(gap, nameof(gap)));

    /// <summary>One window over the whole stream, emitted when a bounded input ends.</summary>
    /// <remarks>Its result carries <see cref="long.MinValue"/>/<see cref="long.MaxValue"/> as start and end.</remarks>
    public static WindowSpec Global { get; } = new(WindowKind.Global, 0, 0, 0);

    private static long ToMilliseconds(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero || value.Ticks % TimeSpan.TicksPerMillisecond != 0)
        {
            throw new ArgumentOutOfRangeException(name, value, "Window lengths must be positive whole milliseconds.");
        }

        return (long)value.TotalMilliseconds;
    }
}
