using System.Globalization;
using System.Security;
using System.Text;
using StreamKit.Benchmarks.Suite;

namespace StreamKit.Benchmarks.Reporting;

/// <summary>A hand-written SVG bar chart of events per second, per query and variant, on a log scale.</summary>
public static class Chart
{
    private const int Width = 960;
    private const int Left = 300;
    private const int Right = 40;
    private const int Top = 86;
    private const int BarHeight = 18;
    private const int BarGap = 4;
    private const int GroupGap = 22;

    private static readonly (string Variant, string Label, string Color)[] s_series =
    [
        (Catalogue.HandWritten, "hand-written loop", "#6b7280"),
        (Catalogue.StreamKit, "StreamKit", "#2563eb"),
        (Catalogue.Linq, "System.Linq", "#d97706"),
        (Catalogue.Rx, "System.Reactive", "#dc2626"),
    ];

    /// <summary>Renders the chart for the query groups (Q1..Q5) in <paramref name="results"/>.</summary>
    public static string Render(IReadOnlyList<BenchmarkResult> results, string host)
    {
        var inv = CultureInfo.InvariantCulture;
        var groups = results.Where(static r => r.Group.StartsWith('Q') && r.EventsPerSecond is > 0)
            .GroupBy(static r => r.Group).OrderBy(static g => g.Key, StringComparer.Ordinal).ToList();
        var titles = Catalogue.All.ToDictionary(static q => q.Id, static q => q.Title);
        var rates = groups.SelectMany(static g => g).Select(static r => r.EventsPerSecond!.Value).DefaultIfEmpty(1e6).ToList();
        var minDecade = Math.Floor(Math.Log10(rates.Min()));
        var maxDecade = Math.Ceiling(Math.Log10(rates.Max()));
        if (maxDecade <= minDecade)
        {
            maxDecade = minDecade + 1;
        }

        double X(double rate) => Left + ((Math.Log10(rate) - minDecade) / (maxDecade - minDecade) * (Width - Left - Right));

        var y = Top;
        var body = new StringBuilder();
        foreach (var group in groups)
        {
            var bars = s_series.Where(s => group.Any(r => r.Method == s.Variant)).ToList();
            var groupHeight = (bars.Count * (BarHeight + BarGap)) - BarGap;
            body.AppendLine(inv, $"""  <text x="{Left - 12}" y="{y + (groupHeight / 2) - 2}" text-anchor="end" font-weight="bold">{group.Key}</text>""");
            body.AppendLine(inv, $"""  <text x="{Left - 12}" y="{y + (groupHeight / 2) + 13}" text-anchor="end" font-size="11" fill="#4b5563">{Escape(titles.GetValueOrDefault(group.Key, ""))}</text>""");
            foreach (var (variant, _, color) in bars)
            {
                var rate = group.First(r => r.Method == variant).EventsPerSecond!.Value;
                var x = X(rate);
                body.AppendLine(inv, $"""  <rect x="{Left}" y="{y}" width="{Math.Max(1, x - Left):0.0}" height="{BarHeight}" fill="{color}"><title>{variant}: {BudgetCheck.Rate(rate)} events/s</title></rect>""");
                body.AppendLine(inv, $"""  <text x="{x + 4:0.0}" y="{y + BarHeight - 5}" font-size="11">{BudgetCheck.Rate(rate)}/s</text>""");
                y += BarHeight + BarGap;
            }

            y += GroupGap - BarGap;
        }

        var height = y + 40;
        var svg = new StringBuilder();
        svg.AppendLine(inv, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="Segoe UI, Helvetica, Arial, sans-serif" font-size="12">""");
        svg.AppendLine(inv, $"""  <rect width="{Width}" height="{height}" fill="#ffffff"/>""");
        svg.AppendLine(inv, $"""  <text x="20" y="26" font-size="16" font-weight="bold">Events per second, 1M clickstream events per operation (log scale, higher is better)</text>""");
        svg.AppendLine(inv, $"""  <text x="20" y="46" font-size="11" fill="#4b5563">{Escape(host)}</text>""");
        var legendX = 20;
        foreach (var (_, label, color) in s_series)
        {
            svg.AppendLine(inv, $"""  <rect x="{legendX}" y="58" width="12" height="12" fill="{color}"/><text x="{legendX + 17}" y="68">{Escape(label)}</text>""");
            legendX += 40 + (label.Length * 7);
        }

        for (var decade = minDecade; decade <= maxDecade; decade++)
        {
            var x = X(Math.Pow(10, decade));
            svg.AppendLine(inv, $"""  <line x1="{x:0.0}" y1="{Top - 6}" x2="{x:0.0}" y2="{y - GroupGap + 6}" stroke="#e5e7eb"/>""");
            svg.AppendLine(inv, $"""  <text x="{x:0.0}" y="{y - GroupGap + 22}" text-anchor="middle" font-size="11" fill="#4b5563">{Tick(decade)}</text>""");
        }

        svg.Append(body);
        svg.AppendLine("</svg>");
        return svg.ToString();
    }

    private static string Tick(double decade) => decade switch
    {
        >= 9 => $"{Math.Pow(10, decade - 9):0} G/s",
        >= 6 => $"{Math.Pow(10, decade - 6):0} M/s",
        >= 3 => $"{Math.Pow(10, decade - 3):0} k/s",
        _ => $"{Math.Pow(10, decade):0}/s",
    };

    private static string Escape(string text) => SecurityElement.Escape(text) ?? "";
}
