using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Reporting;

namespace StreamKit.Benchmarks.Suite;

/// <summary>
/// A cross-check for a noisy machine: runs a query's variants round-robin (one invocation each, in turn) and reports
/// each variant's fastest and median invocation. Variants measured side by side share whatever else the machine is
/// doing, so their ratios hold up under load better than figures measured minutes apart.
/// </summary>
/// <remarks>Not a replacement for BenchmarkDotNet (no overhead subtraction, no statistics): a second opinion on ratios.</remarks>
public static class PairedRun
{
    /// <summary>Runs the queries named in <paramref name="args"/> (all when none) and prints a markdown table.</summary>
    /// <remarks>
    /// <c>--events N --users N --pages N</c> choose another data set (defaults: the suite's 1M events, 50,000 users,
    /// 2,000 pages); with any of them the queries run with the peers of <see cref="HighCardinality"/>
    /// (hand-written, StreamKit, channels) instead of LINQ and Rx.
    /// </remarks>
    public static void Run(IReadOnlyList<string> args, TextWriter output)
    {
        int events = ClickData.DefaultCount, users = ClickData.DefaultUsers, pages = ClickData.DefaultPages;
        var ids = new List<string>();
        var custom = false;
        for (var i = 0; i < args.Count; i++)
        {
            switch (args[i])
            {
                case "--events" when i + 1 < args.Count:
                    events = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    custom = true;
                    break;
                case "--users" when i + 1 < args.Count:
                    users = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    custom = true;
                    break;
                case "--pages" when i + 1 < args.Count:
                    pages = int.Parse(args[++i], CultureInfo.InvariantCulture);
                    custom = true;
                    break;
                default:
                    ids.Add(args[i]);
                    break;
            }
        }

        var data = ClickData.Get(events, users, pages);
        var queries = custom ? HighCardinality.All : Catalogue.All;
        output.WriteLine($"Data: {data.Name}");
        if (ids.Count == 0 || ids.Contains("Q5"))
        {
            _ = data.JsonLines;
        }

        var inv = CultureInfo.InvariantCulture;
        output.WriteLine("| Query | Variant | Runs | Fastest | Median | Speed vs hand (fastest) | Speed vs hand (median) | StreamKit faster by (median) | B/event (this thread, after warm-up) |");
        output.WriteLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var query in queries.Where(q => ids.Count == 0 || ids.Contains(q.Id)))
        {
            Verification.Verify(query, data, TextWriter.Null);
            var names = query.Variants.Keys.ToArray();
            var variants = names.Select(n => query.Variants[n](data)).ToArray();
            var times = names.Select(static _ => new List<double>()).ToArray();
            var allocated = new long[names.Length];
            var runs = new int[names.Length];
            for (var i = 0; i < variants.Length; i++)
            {
                // Warm-up (tier-up, state tables grown), then as many runs as fit in about 8 s, between 3 and 40. A slow
                // first run still gets two more: tables can keep growing in the second (sessions did, counting 1.79
                // B/event of growth as steady state when a loaded first run skipped the warm-ups).
                var first = Time(variants[i]);
                for (var w = 0; w < (first < 1000 ? 3 : 2); w++)
                {
                    Time(variants[i]);
                }

                runs[i] = (int)Math.Clamp(8000 / Math.Max(first, 0.1), 3, 40);
            }

            WarmUntilJitQuiet(variants);

            for (var round = 0; round < runs.Max(); round++)
            {
                for (var i = 0; i < variants.Length; i++)
                {
                    if (round < runs[i])
                    {
                        var before = GC.GetAllocatedBytesForCurrentThread();
                        times[i].Add(Time(variants[i]));
                        allocated[i] += GC.GetAllocatedBytesForCurrentThread() - before;
                    }
                }
            }

            var fastest = times.Select(static t => t.Min()).ToArray();
            var median = times.Select(static t => t.Order().ElementAt(t.Count / 2)).ToArray();
            var hand = Array.IndexOf(names, Catalogue.HandWritten);
            var streamKit = Array.IndexOf(names, Catalogue.StreamKit);
            for (var i = 0; i < names.Length; i++)
            {
                output.WriteLine(string.Create(inv, $"| {query.Id} | {names[i]} | {times[i].Count} | {BudgetCheck.Time(fastest[i] * 1e6)} | {BudgetCheck.Time(median[i] * 1e6)} | {fastest[hand] / fastest[i]:0.00}× | {median[hand] / median[i]:0.00}× | {median[i] / median[streamKit]:0.00}× | {(double)allocated[i] / times[i].Count / data.Events.Length:0.###} |"));
            }
        }
    }

    /// <summary>
    /// Runs the variants round-robin until the JIT has compiled nothing for a second (at most 30 s), so no variant is
    /// measured while its hot methods still run unoptimized code.
    /// </summary>
    /// <remarks>
    /// Tiered compilation promotes a hot method on a background thread, after a delay that restarts whenever new code
    /// is compiled; on two loaded cores that took long enough that a variant's own warm-ups above did not cover it.
    /// Seen as bimodal medians: in about one run in three a variant's median was two to three times its fastest, and a
    /// profile of such a run showed its loops, and the hand loop's, still in tier-0 and instrumented code.
    /// </remarks>
    private static void WarmUntilJitQuiet(QueryVariant[] variants)
    {
        var quietSince = Stopwatch.GetTimestamp();
        var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
        var compiled = JitInfo.GetCompiledMethodCount();
        while (Stopwatch.GetElapsedTime(quietSince).TotalSeconds < 1 && Stopwatch.GetTimestamp() < deadline)
        {
            foreach (var variant in variants)
            {
                variant.Invoke();
            }

            var now = JitInfo.GetCompiledMethodCount();
            if (now != compiled)
            {
                compiled = now;
                quietSince = Stopwatch.GetTimestamp();
            }
        }
    }

    private static double Time(QueryVariant variant)
    {
        var start = Stopwatch.GetTimestamp();
        variant.Invoke();
        return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
}
