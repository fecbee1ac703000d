using System.Reactive.Concurrency;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using Clickstream;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Suite;
using static StreamKit.Benchmarks.Suite.Windowing;

namespace StreamKit.Benchmarks.Variants;

// Rx.NET, event-time correct. Rx's own windows (Window/Buffer with TimeSpan, Throttle) run on the scheduler's clock,
// which is processing time; the idiomatic way to run them on event time is a virtual-time scheduler whose clock is
// the watermark. So: events go into a Subject<ClickEvent>; after every 1024 events a HistoricalScheduler is advanced
// to (largest event time - 5 s); a window or session is a GroupByUntil group whose duration is a Timer at its end on
// that scheduler, so it closes exactly when StreamKit's would.

/// <summary>Feeds the data into a subject in batches, advancing the event-time scheduler after each batch.</summary>
internal static class RxFeed
{
    public static void Run(ClickEvent[] events, Subject<ClickEvent> subject, HistoricalScheduler? watermark)
    {
        var max = long.MinValue;
        var current = long.MinValue;
        for (var i = 0; i < events.Length; i++)
        {
            max = Math.Max(max, events[i].Ts);
            subject.OnNext(events[i]);
            if (watermark is not null && ((i + 1) % Feed.BatchSize == 0 || i == events.Length - 1) && max - MaxOutOfOrderMs > current)
            {
                current = max - MaxOutOfOrderMs;
                watermark.AdvanceTo(At(current));
            }
        }

        subject.OnCompleted();
    }

    public static DateTimeOffset At(long epochMs) => DateTimeOffset.FromUnixTimeMilliseconds(epochMs);

    public static HistoricalScheduler NewScheduler() => new(DateTimeOffset.UnixEpoch);
}

/// <summary>Collects results from Rx callbacks.</summary>
internal sealed class ResultBox
{
    public ResultChecksum Results;
}

/// <summary>A window of one page.</summary>
internal readonly record struct PageWindow(int PageId, long Start);

/// <summary>Q1 with Rx: Where + Aggregate.</summary>
public sealed class RxFilter(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var box = new ResultBox();
        using var subject = new Subject<ClickEvent>();
        using var subscription = subject
            .Where(e => e.EventType != EventType.View)
            .Aggregate((Count: 0L, Sum: 0L), (a, e) => (a.Count + 1, a.Sum + e.DurationMs))
            .Subscribe(r => box.Results.Add(0, 0, r.Count, r.Sum));
        RxFeed.Run(data.Events, subject, watermark: null);
        results.Add(box.Results);
    }
}

/// <summary>Q2 with Rx: GroupByUntil (page, minute) closed by an event-time timer at the window's end, then Count.</summary>
public sealed class RxTumbling(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var box = new ResultBox();
        var watermark = RxFeed.NewScheduler();
        using var subject = new Subject<ClickEvent>();
        using var subscription = subject
            .Where(e => e.EventType == EventType.View)
            .GroupByUntil(e => new PageWindow(e.PageId, Floor(e.Ts, MinuteMs)), g => Observable.Timer(RxFeed.At(g.Key.Start + MinuteMs), watermark))
            .SelectMany(g => g.LongCount().Select(count => (g.Key, Count: count)))
            .Subscribe(r => box.Results.Add(r.Key.Start, r.Key.Start + MinuteMs, r.Key.PageId, r.Count));
        RxFeed.Run(data.Events, subject, watermark);
        results.Add(box.Results);
    }
}

/// <summary>Q3 with Rx: every event into its five (page, window) groups, each closed by a timer at its end.</summary>
public sealed class RxHopping(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var box = new ResultBox();
        var watermark = RxFeed.NewScheduler();
        using var subject = new Subject<ClickEvent>();
        using var subscription = subject
            .SelectMany(e => Enumerable.Range(0, (int)(FiveMinutesMs / MinuteMs)).Select(k => new PageWindow(e.PageId, Floor(e.Ts, MinuteMs) - (k * MinuteMs))))
            .GroupByUntil(w => w, g => Observable.Timer(RxFeed.At(g.Key.Start + FiveMinutesMs), watermark))
            .SelectMany(g => g.LongCount().Select(count => (g.Key, Count: count)))
            .Subscribe(r => box.Results.Add(r.Key.Start, r.Key.Start + FiveMinutesMs, r.Key.PageId, r.Count));
        RxFeed.Run(data.Events, subject, watermark);
        results.Add(box.Results);
    }
}

/// <summary>
/// Q4 with Rx: GroupByUntil user, the group lasting until the watermark passes the user's latest event + 30 min
/// (a Scan of the latest time, Switch-ed onto an event-time timer); inside, an Aggregate builds the user's sessions
/// on event time (an out-of-order event can bridge two), emitted when the group closes. No Throttle: that would be
/// processing time.
/// </summary>
public sealed class RxSessions(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var box = new ResultBox();
        var watermark = RxFeed.NewScheduler();
        using var subject = new Subject<ClickEvent>();
        using var subscription = subject
            .GroupByUntil(
                e => e.UserId,
                g => g.Scan(long.MinValue, (last, e) => Math.Max(last, e.Ts))
                    .DistinctUntilChanged()
                    .Select(last => Observable.Timer(RxFeed.At(last + SessionGapMs), watermark))
                    .Switch())
            .SelectMany(g => g.Aggregate(new UserSessions(), (s, e) => s.Add(e.Ts)).SelectMany(s => s.Sessions.Select(x => (User: g.Key, x.Start, x.Last, x.Count))))
            .Subscribe(s => box.Results.Add(s.Start, s.Last + SessionGapMs, s.User, s.Count));
        RxFeed.Run(data.Events, subject, watermark);
        results.Add(box.Results);
    }

    /// <summary>One user's sessions on event time: an event joins (and merges) every session it is within the gap of.</summary>
    private sealed class UserSessions
    {
        public List<(long Start, long Last, long Count)> Sessions { get; } = [];

        public UserSessions Add(long ts)
        {
            var target = -1;
            for (var i = 0; i < Sessions.Count; i++)
            {
                var s = Sessions[i];
                if (ts > s.Start - SessionGapMs && ts < s.Last + SessionGapMs)
                {
                    if (target < 0)
                    {
                        target = i;
                    }
                    else
                    {
                        var t = Sessions[target];
                        Sessions[target] = (Math.Min(t.Start, s.Start), Math.Max(t.Last, s.Last), t.Count + s.Count);
                        Sessions.RemoveAt(i--);
                    }
                }
            }

            if (target < 0)
            {
                Sessions.Add((ts, ts, 1));
            }
            else
            {
                var t = Sessions[target];
                Sessions[target] = (Math.Min(t.Start, ts), Math.Max(t.Last, ts), t.Count + 1);
            }

            return this;
        }
    }
}
