using System.Text.Json;
using Clickstream;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Suite;
using static StreamKit.Benchmarks.Suite.Windowing;

namespace StreamKit.Benchmarks.Variants;

// System.Linq over the whole array, written the way a .NET developer would: Where/GroupBy/Aggregate with lambdas.
// LINQ has no watermark: it sees the bounded input at once, which is the easy case for it.

/// <summary>Q1 with LINQ.</summary>
public sealed class LinqFilter(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var (count, sum) = data.Events
            .Where(e => e.EventType != EventType.View)
            .Aggregate((Count: 0L, Sum: 0L), (a, e) => (a.Count + 1, a.Sum + e.DurationMs));
        results.Add(0, 0, count, sum);
    }
}

/// <summary>Q2 with LINQ.</summary>
public sealed class LinqTumbling(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var windows = data.Events
            .Where(e => e.EventType == EventType.View)
            .GroupBy(e => (e.PageId, Start: Floor(e.Ts, MinuteMs)))
            .Select(g => (g.Key, Count: g.LongCount()));
        foreach (var (key, count) in windows)
        {
            results.Add(key.Start, key.Start + MinuteMs, key.PageId, count);
        }
    }
}

/// <summary>Q3 with LINQ: each event is copied into the five windows that contain it.</summary>
public sealed class LinqHopping(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var windows = data.Events
            .SelectMany(e => Enumerable.Range(0, (int)(FiveMinutesMs / MinuteMs)).Select(k => (e.PageId, Start: Floor(e.Ts, MinuteMs) - (k * MinuteMs))))
            .GroupBy(w => w)
            .Select(g => (g.Key, Count: g.LongCount()));
        foreach (var (key, count) in windows)
        {
            results.Add(key.Start, key.Start + FiveMinutesMs, key.PageId, count);
        }
    }
}

/// <summary>Q4 with LINQ: group by user, sort each user's times, split where the gap reaches 30 minutes.</summary>
public sealed class LinqSessions(ClickData data) : WholeInputVariant(data)
{
    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var sessions = data.Events
            .GroupBy(e => e.UserId, e => e.Ts)
            .SelectMany(g => Sessionize(g.Order()).Select(s => (User: g.Key, s.Start, s.End, s.Count)));
        foreach (var s in sessions)
        {
            results.Add(s.Start, s.End, s.User, s.Count);
        }
    }

    private static IEnumerable<(long Start, long End, long Count)> Sessionize(IEnumerable<long> sortedTimes)
    {
        long start = 0, last = 0, count = 0;
        foreach (var ts in sortedTimes)
        {
            if (count > 0 && ts - last >= SessionGapMs)
            {
                yield return (start, last + SessionGapMs, count);
                count = 0;
            }

            if (count == 0)
            {
                start = ts;
            }

            last = ts;
            count++;
        }

        if (count > 0)
        {
            yield return (start, last + SessionGapMs, count);
        }
    }
}

/// <summary>Q5 the common way: <see cref="JsonSerializer"/> per line into a class, then Q2 with LINQ.</summary>
public sealed class LinqJsonTumbling(ClickData data) : WholeInputVariant(data)
{
    private static readonly JsonSerializerOptions s_options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <inheritdoc />
    protected override void Run(ClickData data, ref ResultChecksum results)
    {
        var windows = Lines(data.JsonLines)
            .Select(line => JsonSerializer.Deserialize<ClickJson>(line.Span, s_options)!)
            .Where(e => e.EventType == "view")
            .GroupBy(e => (e.PageId, Start: Floor(e.Ts, MinuteMs)))
            .Select(g => (g.Key, Count: g.LongCount()));
        foreach (var (key, count) in windows)
        {
            results.Add(key.Start, key.Start + MinuteMs, key.PageId, count);
        }
    }

    private static IEnumerable<ReadOnlyMemory<byte>> Lines(ReadOnlyMemory<byte> input)
    {
        while (!input.IsEmpty)
        {
            var newline = input.Span.IndexOf((byte)'\n');
            yield return newline < 0 ? input : input[..newline];
            input = newline < 0 ? default : input[(newline + 1)..];
        }
    }

    /// <summary>An event as JsonSerializer binds it.</summary>
    public sealed class ClickJson
    {
        /// <summary>Event time, epoch milliseconds.</summary>
        public long Ts { get; set; }

        /// <summary>The visitor.</summary>
        public int UserId { get; set; }

        /// <summary>The page.</summary>
        public int PageId { get; set; }

        /// <summary>view, click or purchase.</summary>
        public string EventType { get; set; } = "";

        /// <summary>Time spent, milliseconds.</summary>
        public int DurationMs { get; set; }

        /// <summary>Two-letter country.</summary>
        public string Country { get; set; } = "";
    }
}
