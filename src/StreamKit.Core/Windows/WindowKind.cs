namespace StreamKit.Windows;

/// <summary>The kinds of window.</summary>
public enum WindowKind
{
    /// <summary>Fixed, non-overlapping.</summary>
    Tumbling,

    /// <summary>Fixed length, overlapping.</summary>
    Hopping,

    /// <summary>Per-key activity sessions separated by a gap.</summary>
    Session,

    /// <summary>The whole (bounded) stream.</summary>
    Global,
}
