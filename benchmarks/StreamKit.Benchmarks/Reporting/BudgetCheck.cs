using System.Globalization;
using System.Text;
using System.Text.Json;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Suite;

namespace StreamKit.Benchmarks.Reporting;

/// <summary>One benchmark's figures from BenchmarkDotNet's full JSON report.</summary>
public sealed record BenchmarkResult(string Type, string Method, double? MeanNs, double? StdDevNs, long? AllocatedBytes, string Parameters = "")
{
    /// <summary>"Q2TumblingBenchmarks" → "Q2"; other types keep their name, followed by their parameters ("SweepQ2 Keys=2000").</summary>
    public string Group => Type.Length > 1 && Type[0] == 'Q' && char.IsAsciiDigit(Type[1])
        ? Type[..2]
        : (Type.Replace("Benchmarks", "", StringComparison.Ordinal) + " " + Parameters).TrimEnd();

    /// <summary>Events per operation: the <c>Events</c> parameter where the benchmark has one, else <see cref="ClickData.DefaultCount"/>.</summary>
    public long EventsPerOperation =>
        Parameters.Split('&', ',', ' ').Select(static p => p.Split('=')).FirstOrDefault(static kv => kv.Length == 2 && kv[0] == "Events") is { } kv
            && long.TryParse(kv[1], CultureInfo.InvariantCulture, out var events) ? events : ClickData.DefaultCount;

    /// <summary>Events per second, each operation being one pass over the data.</summary>
    public double? EventsPerSecond => MeanNs is > 0 ? EventsPerOperation / (MeanNs.Value * 1e-9) : null;
}

/// <summary>
/// Reads BenchmarkDotNet's JSON results, compares StreamKit's allocations with allocation-budget.json (exit 1 when
/// one is over or missing), prints a summary with ratios to the hand-written loop and the suite's targets, and
/// optionally writes the summary as markdown and a bar chart of events per second as SVG.
/// </summary>
public static class BudgetCheck
{
    private const string DecodeGroup = "Decode";
    private static readonly string[] s_variantOrder = [Catalogue.HandWritten, Catalogue.StreamKit, Catalogue.Linq, Catalogue.Rx];

    // DecodeBenchmarks' methods per format: the StreamKit decoder is named after the format, its hand loop adds
    // "HandWritten", other libraries' readers add their name (AvroApacheGeneric) and are listed after both.
    private static readonly (string Method, string Label)[] s_decodeFormats =
        [("JsonLines", "JSON lines"), ("MessagePack", "MessagePack"), ("Avro", "Avro")];

    /// <summary>Runs the check; returns the process exit code.</summary>
    public static int Run(string[] args)
    {
        var inputs = new List<string>();
        string? budgetPath = null, chartPath = null, markdownPath = null, failedListPath = null;
        var allowMissing = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--check-budget":
                    while (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    {
                        inputs.Add(args[++i]);
                    }

                    break;
                case "--budget" when i + 1 < args.Length:
                    budgetPath = args[++i];
                    break;
                case "--chart" when i + 1 < args.Length:
                    chartPath = args[++i];
                    break;
                case "--markdown" when i + 1 < args.Length:
                    markdownPath = args[++i];
                    break;
                case "--failed-list" when i + 1 < args.Length:
                    failedListPath = args[++i];
                    break;
                case "--allow-missing":
                    allowMissing = true;
                    break;
                default:
                    Console.Error.WriteLine($"check-budget: unknown argument '{args[i]}'");
                    return 2;
            }
        }

        budgetPath ??= Path.Combine(AppContext.BaseDirectory, "allocation-budget.json");
        var files = inputs.SelectMany(static p => Directory.Exists(p) ? Directory.GetFiles(p, "*-report-full.json", SearchOption.AllDirectories).Order(StringComparer.Ordinal) : (IEnumerable<string>)[p]).ToList();
        if (files.Count == 0)
        {
            Console.Error.WriteLine($"check-budget: no BenchmarkDotNet '*-report-full.json' results in: {string.Join(", ", inputs)}");
            return 2;
        }

        var (loaded, host) = Load(files);

        // A benchmark measured again (a retry's results passed after the first run's) counts with its last figures.
        var results = loaded.GroupBy(static r => (r.Type, r.Method, r.Parameters)).Select(static g => g.Last()).ToList();
        var budgets = LoadBudgets(budgetPath);
        var report = new StringBuilder();
        var failures = Summarise(results, budgets, host, allowMissing, report, out var overBudget);
        if (failedListPath is not null)
        {
            // One BenchmarkDotNet filter per line, for eng/bench.sh to measure the offenders again.
            File.WriteAllLines(failedListPath, overBudget.Select(static key => $"*{key}"));
        }

        Console.WriteLine(report.ToString());
        if (markdownPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(markdownPath))!);
            File.WriteAllText(markdownPath, report.ToString());
            Console.WriteLine($"Summary written to {markdownPath}");
        }

        if (chartPath is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(chartPath))!);
            File.WriteAllText(chartPath, Chart.Render(results, host));
            Console.WriteLine($"Chart written to {chartPath}");
        }

        if (failures.Count > 0)
        {
            Console.Error.WriteLine();
            foreach (var failure in failures)
            {
                Console.Error.WriteLine($"ALLOCATION BUDGET FAILED: {failure}");
            }

            return 1;
        }

        Console.WriteLine($"Allocation budgets: all {budgets.Count} within budget.");
        return 0;
    }

    private static (List<BenchmarkResult> Results, string Host) Load(List<string> files)
    {
        var results = new List<BenchmarkResult>();
        var host = "";
        foreach (var file in files)
        {
            using var document = JsonDocument.Parse(File.ReadAllText(file));
            var root = document.RootElement;
            if (root.TryGetProperty("HostEnvironmentInfo", out var info))
            {
                host = string.Join(", ", new[]
                {
                    Text(info, "ProcessorName"),
                    Number(info, "LogicalCoreCount") is { } cores ? $"{cores} logical cores" : null,
                    Text(info, "OsVersion"),
                    Text(info, "RuntimeVersion"),
                    Text(info, "BenchmarkDotNetCaption") is { } caption ? $"{caption} {Text(info, "BenchmarkDotNetVersion")}" : null,
                }.Where(static s => !string.IsNullOrEmpty(s)));
            }

            foreach (var b in root.GetProperty("Benchmarks").EnumerateArray())
            {
                var stats = b.TryGetProperty("Statistics", out var s) && s.ValueKind == JsonValueKind.Object ? s : default;
                var memory = b.TryGetProperty("Memory", out var m) && m.ValueKind == JsonValueKind.Object ? m : default;
                results.Add(new BenchmarkResult(
                    Text(b, "Type") ?? "?",
                    Text(b, "Method") ?? "?",
                    Number(stats, "Mean"),
                    Number(stats, "StandardDeviation"),
                    Number(memory, "BytesAllocatedPerOperation") is { } bytes ? (long)bytes : null,
                    Text(b, "Parameters") ?? ""));
            }
        }

        return (results, host);
    }

    private static Dictionary<string, long> LoadBudgets(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        var budgets = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in document.RootElement.GetProperty("budgets").EnumerateObject())
        {
            budgets[entry.Name] = entry.Value.GetInt64();
        }

        return budgets;
    }

    private static List<string> Summarise(List<BenchmarkResult> results, Dictionary<string, long> budgets, string host, bool allowMissing, StringBuilder report, out List<string> overBudget)
    {
        var failures = new List<string>();
        overBudget = [];
        var inv = CultureInfo.InvariantCulture;
        report.AppendLine(inv, $"Machine: {host}");
        if (results.Any(static r => r.Group != DecodeGroup))
        {
            report.AppendLine(inv, $"One operation = {ClickData.DefaultCount:N0} events. Ratio = mean / hand-written mean (lower is faster); Speed = hand-written mean / mean (the targets' \"× hand loop\").");
            report.AppendLine();
            report.AppendLine("| Query | Variant | Mean | StdDev | Events/s | Ratio | Speed | Allocated/op | B/event | Budget |");
            report.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        }
        var over = overBudget;
        string BudgetCell(BenchmarkResult r)
        {
            var key = $"{r.Type}.{r.Method}";
            if (!budgets.TryGetValue(key, out var limit))
            {
                return "";
            }

            if (r.AllocatedBytes is not { } allocated)
            {
                failures.Add($"{key}: no allocation figure (did the benchmark fail?)");
                return $"≤ {Bytes(limit)}: NO RESULT";
            }

            if (allocated > limit)
            {
                if (!over.Contains(key))
                {
                    over.Add(key);
                }

                failures.Add($"{key} {r.Parameters} allocated {allocated:N0} B per operation ({(double)allocated / r.EventsPerOperation:0.###} B/event); its budget is {limit:N0} B ({budgets.Count} budgets in allocation-budget.json).");
                return $"≤ {Bytes(limit)}: OVER";
            }

            return $"≤ {Bytes(limit)}: ok";
        }

        foreach (var group in results.Where(static r => r.Group != DecodeGroup).GroupBy(static r => r.Group).OrderBy(static g => g.Key, StringComparer.Ordinal))
        {
            var baseline = group.FirstOrDefault(static r => r.Method == Catalogue.HandWritten)?.MeanNs;
            foreach (var r in group.OrderBy(static r => Array.IndexOf(s_variantOrder, r.Method) is var i and >= 0 ? i : 99))
            {
                var budgetCell = BudgetCell(r);
                var ratio = baseline is > 0 && r.MeanNs is > 0 ? r.MeanNs.Value / baseline.Value : (double?)null;
                report.AppendLine(inv, $"| {r.Group} | {r.Method} | {Time(r.MeanNs)} | {Time(r.StdDevNs)} | {Rate(r.EventsPerSecond)} | {Fixed(ratio)} | {Fixed(1 / ratio)} | {(r.AllocatedBytes is { } a ? Bytes(a) : "?")} | {(r.AllocatedBytes is { } b ? ((double)b / r.EventsPerOperation).ToString("0.###", inv) : "?")} | {budgetCell} |");
            }
        }

        var decode = results.Where(static r => r.Group == DecodeGroup).ToList();
        if (decode.Count > 0)
        {
            // The JSON lines decoder is this group's baseline; MB/s counts the bytes of each format (see EncodedClicks).
            var sizes = DecodeSizes();
            var baseline = decode.FirstOrDefault(static r => r.Method == "JsonLines")?.MeanNs;
            report.AppendLine();
            report.AppendLine(inv, $"Decode: one operation decodes {ClickData.DefaultCount:N0} records into a reused struct. Bytes per event: {string.Join(", ", s_decodeFormats.Select(f => $"{f.Label} {sizes[f.Method].BytesPerEvent.ToString("0.0", inv)}"))}. Ratio = mean / JsonLines mean.");
            report.AppendLine();
            report.AppendLine("| Variant | Mean | StdDev | Events/s | MB/s | Ratio | Allocated/op | B/event | Budget |");
            report.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---|");
            foreach (var r in decode.OrderBy(static r => Array.FindIndex(s_decodeFormats, f => r.Method.StartsWith(f.Method, StringComparison.Ordinal)) * 3 + (r.Method.EndsWith("HandWritten", StringComparison.Ordinal) ? 1 : s_decodeFormats.Any(f => f.Method == r.Method) ? 0 : 2)))
            {
                var format = s_decodeFormats.FirstOrDefault(f => r.Method.StartsWith(f.Method, StringComparison.Ordinal));
                var megabytes = format.Method is not null && r.MeanNs is > 0 ? sizes[format.Method].Bytes.Length / 1e6 / (r.MeanNs.Value * 1e-9) : (double?)null;
                var ratio = baseline is > 0 && r.MeanNs is > 0 ? r.MeanNs.Value / baseline.Value : (double?)null;
                report.AppendLine(inv, $"| {r.Method} | {Time(r.MeanNs)} | {Time(r.StdDevNs)} | {Rate(r.EventsPerSecond)} | {(megabytes is { } mb ? mb.ToString("0", inv) : "?")} | {Fixed(ratio)} | {(r.AllocatedBytes is { } a ? Bytes(a) : "?")} | {(r.AllocatedBytes is { } b ? ((double)b / ClickData.DefaultCount).ToString("0.###", inv) : "?")} | {BudgetCell(r)} |");
            }
        }

        foreach (var key in budgets.Keys.Where(k => !results.Any(r => $"{r.Type}.{r.Method}" == k)))
        {
            if (allowMissing)
            {
                report.AppendLine(inv, $"(not run: {key})");
            }
            else
            {
                failures.Add($"{key} has a budget but no result: it did not run or failed.");
            }
        }

        report.AppendLine();
        report.AppendLine("Targets:");
        report.AppendLine();
        foreach (var line in Targets(results, budgets))
        {
            report.AppendLine(inv, $"- {line}");
        }

        return failures;
    }

    private static IEnumerable<string> Targets(List<BenchmarkResult> results, Dictionary<string, long> budgets)
    {
        double? Mean(string group, string method) => results.FirstOrDefault(r => r.Group == group && r.Method == method)?.MeanNs;

        string Versus(string group, string other, double target, bool higherIsBetterOfOther)
        {
            var sk = Mean(group, Catalogue.StreamKit);
            var o = Mean(group, other);
            if (sk is not > 0 || o is not > 0)
            {
                return $"{group} StreamKit vs {other}: not measured";
            }

            var factor = o.Value / sk.Value; // > 1: StreamKit faster
            var met = factor >= target;
            var label = higherIsBetterOfOther ? $"≥ {target:0.##}× {other} speed" : $"≥ {target:0.##}× faster than {other}";
            var line = $"{group} StreamKit {label}: {factor.ToString("0.00", CultureInfo.InvariantCulture)}× — {(met ? "met" : "NOT MET")}";

            // Both batch-fed variants pay the harness's batch copy (Feed.Deliver); show the ratio without it too.
            var delivery = results.FirstOrDefault(static r => r.Method == "DeliveryOnly")?.MeanNs;
            if (other == Catalogue.HandWritten && group != "Q5" && !group.StartsWith("HighCard", StringComparison.Ordinal) && delivery is > 0 && o.Value > delivery && sk.Value > delivery)
            {
                var net = (o.Value - delivery.Value) / (sk.Value - delivery.Value);
                line += $" (without the {BudgetCheck.Time(delivery)} batch copy both pay: {net.ToString("0.00", CultureInfo.InvariantCulture)}×)";
            }

            return line;
        }

        yield return Versus("Q1", Catalogue.HandWritten, 0.7, true);
        foreach (var q in new[] { "Q2", "Q3", "Q4" })
        {
            yield return Versus(q, Catalogue.HandWritten, 0.5, true);
            yield return Versus(q, Catalogue.Rx, 20, false);
        }

        yield return Versus("Q5", Catalogue.HandWritten, 0.7, true);

        // Issue 11's targets at realistic cardinality (1M users, 10k pages), StreamKit paying the batch copy.
        foreach (var group in results.Select(static r => r.Group).Where(static g => g.StartsWith("HighCardQ", StringComparison.Ordinal)).Distinct().Order(StringComparer.Ordinal))
        {
            var target = group["HighCardQ".Length] switch { '1' or '5' => 0.8, '4' => 0.5, _ => 0.75 };
            yield return Versus(group, Catalogue.HandWritten, target, true);
        }

        foreach (var format in new[] { "MessagePack", "Avro" })
        {
            var json = Mean(DecodeGroup, "JsonLines");
            var other = Mean(DecodeGroup, format);
            if (json is > 0 && other is > 0)
            {
                yield return $"Decode {format} faster than JsonLines: {(json.Value / other.Value).ToString("0.00", CultureInfo.InvariantCulture)}× — {(other < json ? "met" : "NOT MET")}";
            }
        }

        foreach (var (key, limit) in budgets)
        {
            foreach (var r in results.Where(r => $"{r.Type}.{r.Method}" == key))
            {
                if (r.AllocatedBytes is { } allocated)
                {
                    yield return $"{r.Group} {r.Method} 0 B/event (budget {limit:N0} B per {r.EventsPerOperation:N0}-event operation): {allocated:N0} B — {(allocated <= limit ? "met" : "NOT MET")}";
                }
            }
        }
    }

    // Encoding the data again takes a second or two; only done when decode results are present.
    private static Dictionary<string, EncodedClicks> DecodeSizes() => new(StringComparer.Ordinal)
    {
        ["JsonLines"] = EncodedClicks.JsonLines,
        ["MessagePack"] = EncodedClicks.MessagePack,
        ["Avro"] = EncodedClicks.Avro,
    };

    private static string? Text(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static double? Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    internal static string Time(double? ns) => ns switch
    {
        null or double.NaN => "?",
        >= 1e9 => (ns.Value / 1e9).ToString("0.000 's'", CultureInfo.InvariantCulture),
        >= 1e6 => (ns.Value / 1e6).ToString("0.00 'ms'", CultureInfo.InvariantCulture),
        >= 1e3 => (ns.Value / 1e3).ToString("0.00 'µs'", CultureInfo.InvariantCulture),
        _ => ns.Value.ToString("0.0 'ns'", CultureInfo.InvariantCulture),
    };

    internal static string Rate(double? perSecond) => perSecond switch
    {
        null => "?",
        >= 1e6 => (perSecond.Value / 1e6).ToString("0.0 'M'", CultureInfo.InvariantCulture),
        >= 1e3 => (perSecond.Value / 1e3).ToString("0.0 'k'", CultureInfo.InvariantCulture),
        _ => perSecond.Value.ToString("0", CultureInfo.InvariantCulture),
    };

    private static string Fixed(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("0.00", CultureInfo.InvariantCulture) : "";

    private static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 20 => (bytes / (double)(1L << 20)).ToString("0.0 'MB'", CultureInfo.InvariantCulture),
        >= 1L << 10 => (bytes / 1024.0).ToString("0.0 'KB'", CultureInfo.InvariantCulture),
        _ => bytes.ToString(CultureInfo.InvariantCulture) + " B",
    };
}
