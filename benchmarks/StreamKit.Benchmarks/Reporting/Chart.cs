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
    private const int Right = 70;
    private const int Top = 86;
    private const int BarHeight = 18;
    private const int BarGap = 4;
    private const int GroupGap = 22;

    private const int SectionGap = 34;

    private static readonly (string Variant, string Label, string Color)[] s_series =
    [
        (Catalogue.HandWritten, "hand-written loop", "#6b7280"),
        (Catalogue.StreamKit, "StreamKit", "#2563eb"),
        (Catalogue.StreamKitCold, "StreamKit, built per pass", "#93c5fd"),
        (Catalogue.Channels, "hand loop behind a channel", "#059669"),
        (Catalogue.Linq, "System.Linq", "#d97706"),
        (Catalogue.Rx, "System.Reactive", "#dc2626"),
    ];

    /// <summary>
    /// Renders one panel per data set: the default queries (Q1..Q5, 50,000 users, 2,000 pages) and, when present, the
    /// high-cardinality ones (HighCardQ1..Q5, 1,000,000 users, 10,000 pages), on one shared log scale.
    /// </summary>
    public static string Render(IReadOnlyList<BenchmarkResult> results, string host)
    {
        var inv = CultureInfo.InvariantCulture;
        var sections = new[]
            {
                (Prefix: "", Title: "Default data set: 50,000 users, 2,000 pages"),
                (Prefix: "HighCard", Title: $"High cardinality: {HighCardinality.Users:N0} users, {HighCardinality.Pages:N0} pages"),
            }
            .Select(section => (section.Title, Groups: results
                .Where(r => r.EventsPerSecond is > 0 && QueryId(r.Group, section.Prefix) is not null)
                .GroupBy(r => QueryId(r.Group, section.Prefix)!)
                .OrderBy(static g => g.Key, StringComparer.Ordinal)
                .ToList()))
            .Where(static section => section.Groups.Count > 0)
            .ToList();
        var titles = Catalogue.All.ToDictionary(static q => q.Id, static q => q.Title);
        var rates = sections.SelectMany(static s => s.Groups).SelectMany(static g => g)
            .Select(static r => r.EventsPerSecond!.Value).DefaultIfEmpty(1e6).ToList();
        var minDecade = Math.Floor(Math.Log10(rates.Min()));
        var maxDecade = Math.Ceiling(Math.Log10(rates.Max()));
        if (maxDecade <= minDecade)
        {
            maxDecade = minDecade + 1;
        }

        double X(double rate) => Left + ((Math.Log10(rate) - minDecade) / (maxDecade - minDecade) * (Width - Left - Right));

        var y = Top;
        var body = new StringBuilder();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (sectionTitle, groups) in sections)
        {
            var events = groups.SelectMany(static g => g).Max(static r => r.EventsPerOperation);
            body.AppendLine(inv, $"""  <text x="20" y="{y + 4}" font-size="13" font-weight="bold">{Escape($"{sectionTitle}; {events:N0} events per operation")}</text>""");
            y += 18;
            foreach (var group in groups)
            {
                var bars = s_series.Where(s => group.Any(r => r.Method == s.Variant)).ToList();
                var groupHeight = (bars.Count * (BarHeight + BarGap)) - BarGap;
                body.AppendLine(inv, $"""  <text x="{Left - 12}" y="{y + (groupHeight / 2) - 2}" text-anchor="end" font-weight="bold">{group.Key}</text>""");
                body.AppendLine(inv, $"""  <text x="{Left - 12}" y="{y + (groupHeight / 2) + 13}" text-anchor="end" font-size="11" fill="#4b5563">{Escape(titles.GetValueOrDefault(group.Key, ""))}</text>""");
                foreach (var (variant, _, color) in bars)
                {
                    used.Add(variant);
                    var rate = group.First(r => r.Method == variant).EventsPerSecond!.Value;
                    var x = X(rate);
                    body.AppendLine(inv, $"""  <rect x="{Left}" y="{y}" width="{Math.Max(1, x - Left):0.0}" height="{BarHeight}" fill="{color}"><title>{variant}: {BudgetCheck.Rate(rate)} events/s</title></rect>""");
                    body.AppendLine(inv, $"""  <text x="{x + 4:0.0}" y="{y + BarHeight - 5}" font-size="11">{BudgetCheck.Rate(rate)}/s</text>""");
                    y += BarHeight + BarGap;
                }

                y += GroupGap - BarGap;
            }

            y += SectionGap - GroupGap;
        }

        y += GroupGap - SectionGap;
        var height = y + 40;
        var svg = new StringBuilder();
        svg.AppendLine(inv, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{height}" viewBox="0 0 {Width} {height}" font-family="Segoe UI, Helvetica, Arial, sans-serif" font-size="12">""");
        svg.AppendLine(inv, $"""  <rect width="{Width}" height="{height}" fill="#ffffff"/>""");
        svg.AppendLine(inv, $"""  <text x="20" y="26" font-size="16" font-weight="bold">Events per second per query (log scale, higher is better)</text>""");
        svg.AppendLine(inv, $"""  <text x="20" y="46" font-size="11" fill="#4b5563">{Escape(host)}</text>""");
        var legendX = 20;
        foreach (var (variant, label, color) in s_series.Where(s => used.Contains(s.Variant)))
        {
            svg.AppendLine(inv, $"""  <rect x="{legendX}" y="58" width="12" height="12" fill="{color}"/><text x="{legendX + 17}" y="68">{Escape(label)}</text>""");
            legendX += 34 + (int)(label.Length * 6.5);
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

    // "Q2" in the default panel; "HighCardQ2 Events=1000000" → "Q2" in the high-cardinality panel; null otherwise.
    private static string? QueryId(string group, string prefix)
    {
        if (!group.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = group.AsSpan(prefix.Length);
        return rest.Length >= 2 && rest[0] == 'Q' && char.IsAsciiDigit(rest[1]) && (rest.Length == 2 || rest[2] == ' ')
            ? rest[..2].ToString()
            : null;
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
