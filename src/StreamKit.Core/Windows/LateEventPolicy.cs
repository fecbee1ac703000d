namespace StreamKit.Windows;

/// <summary>What happens to an event that arrives after every window it belongs to has closed.</summary>
public enum LateEventPolicy
{
    /// <summary>Count it (<c>streamkit.late_events</c>) and drop it.</summary>
    Drop,

    /// <summary>Count it and write it to the late-event sink given to the window builder.</summary>
    SideOutput,

    /// <summary>
    /// While a closed window is still kept (its end plus the allowed lateness has not passed the watermark), fold the
    /// event in and emit the window's result again with <see cref="WindowResult{TKey, TValue}.IsUpdate"/> set;
    /// later than that, count and drop it.
    /// </summary>
    /// <remarks>
    /// For sessions, a late event must join (or bridge) a kept session to update it; one that would start a session
    /// already past the watermark on its own is dropped and counted, as no result for it was ever emitted.
    /// </remarks>
    Update,
}
