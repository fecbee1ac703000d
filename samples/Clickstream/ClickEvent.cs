using StreamKit;
using StreamKit.Keys;
using StreamKit.Records;

namespace Clickstream;

/// <summary>What a visitor did.</summary>
public enum EventType : byte
{
    /// <summary>A page view.</summary>
    View,

    /// <summary>A click on the page.</summary>
    Click,

    /// <summary>A purchase.</summary>
    Purchase,
}

/// <summary>One clickstream event, as a plain struct: batches of these flow through the pipeline without allocation.</summary>
public struct ClickEvent
{
    /// <summary>Event time, epoch milliseconds.</summary>
    public long Ts;

    /// <summary>The visitor.</summary>
    public int UserId;

    /// <summary>The page.</summary>
    public int PageId;

    /// <summary>What happened.</summary>
    public EventType EventType;

    /// <summary>Time spent, milliseconds.</summary>
    public int DurationMs;

    /// <summary>The two-letter country, interned to a small integer by <see cref="ClickEvents.Countries"/>.</summary>
    public int Country;
}

/// <summary>How clickstream events map to fields on the wire.</summary>
public static class ClickEvents
{
    /// <summary>Country codes seen so far, interned from their UTF-8 bytes.</summary>
    public static Utf8Interner Countries { get; } = new(maxCount: 1024);

    /// <summary>The field map every format (JSON lines, MessagePack, Avro) decodes and encodes with.</summary>
    public static RecordMap<ClickEvent> Map { get; } = new RecordMap<ClickEvent>()
        .TimestampMillis("ts", static (ref ClickEvent e, long v) => e.Ts = v, static (in ClickEvent e) => e.Ts)
        .Int32("userId", static (ref ClickEvent e, int v) => e.UserId = v, static (in ClickEvent e) => e.UserId)
        .Int32("pageId", static (ref ClickEvent e, int v) => e.PageId = v, static (in ClickEvent e) => e.PageId)
        .String("eventType", static (ref ClickEvent e, ReadOnlySpan<byte> v) => TryParse(v, out e.EventType), static (in ClickEvent e) => Name(e.EventType))
        .Int32("durationMs", static (ref ClickEvent e, int v) => e.DurationMs = v, static (in ClickEvent e) => e.DurationMs)
        .String("country", static (ref ClickEvent e, ReadOnlySpan<byte> v) => v.Length == 2 && Countries.TryGetOrAdd(v, out e.Country), static (in ClickEvent e) => Countries.GetBytes(e.Country));

    /// <summary>Parses an event type name.</summary>
    public static bool TryParse(ReadOnlySpan<byte> name, out EventType type)
    {
        if (name.SequenceEqual("view"u8))
        {
            type = EventType.View;
            return true;
        }

        if (name.SequenceEqual("click"u8))
        {
            type = EventType.Click;
            return true;
        }

        type = EventType.Purchase;
        return name.SequenceEqual("purchase"u8);
    }

    /// <summary>The wire name of an event type.</summary>
    public static ReadOnlySpan<byte> Name(EventType type) => type switch
    {
        EventType.View => "view"u8,
        EventType.Click => "click"u8,
        _ => "purchase"u8,
    };
}

/// <summary>Event time of a click, as a struct selector the JIT inlines.</summary>
public readonly struct EventTime : ISelector<EventTime, ClickEvent, long>
{
    /// <inheritdoc />
    public long Invoke(in ClickEvent item) => item.Ts;
}

/// <summary>Keeps clicks and purchases (Q1).</summary>
public readonly struct IsEngagement : IPredicate<ClickEvent>
{
    /// <inheritdoc />
    public bool Invoke(in ClickEvent item) => item.EventType != EventType.View;
}

/// <summary>Keeps page views (Q2).</summary>
public readonly struct IsView : IPredicate<ClickEvent>
{
    /// <inheritdoc />
    public bool Invoke(in ClickEvent item) => item.EventType == EventType.View;
}

/// <summary>Keys by page.</summary>
public readonly struct ByPage : ISelector<ByPage, ClickEvent, int>
{
    /// <inheritdoc />
    public int Invoke(in ClickEvent item) => item.PageId;
}

/// <summary>Keys by user.</summary>
public readonly struct ByUser : ISelector<ByUser, ClickEvent, int>
{
    /// <inheritdoc />
    public int Invoke(in ClickEvent item) => item.UserId;
}

/// <summary>The duration as a long, for sums.</summary>
public readonly struct Duration : ISelector<Duration, ClickEvent, long>
{
    /// <inheritdoc />
    public long Invoke(in ClickEvent item) => item.DurationMs;
}
