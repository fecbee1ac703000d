using System.Text.Json;

namespace Clickstream.Tests;

/// <summary>
/// The sample's command-line contract, run as a user runs it, against a naive reference computed here from the
/// same checked-in file (out of order by up to 4 s, a long pause, two malformed lines and a blank one).
/// </summary>
public sealed class SampleCliTests : IDisposable
{
    private static readonly string s_input = Path.Combine(AppContext.BaseDirectory, "Data", "small.jsonl");
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Filter_SmallFile_CountsAndSumsClicksAndPurchases()
    {
        var lines = Run("filter");

        var engaged = Reference().Where(e => e.Type != "view").ToList();
        Assert.Equal([$"{{\"count\":{engaged.Count},\"sumDurationMs\":{engaged.Sum(e => (long)e.DurationMs)}}}"], lines);
    }

    [Fact]
    public void Tumbling_SmallFile_CountsViewsPerPagePerMinute()
    {
        var expected = Reference()
            .Where(e => e.Type == "view")
            .GroupBy(e => (Start: Floor(e.Ts, 60_000), e.Page))
            .Select(g => (g.Key.Start, (long)g.Key.Page, (long)g.Count()));

        AssertSameSet(expected, Run("tumbling").Select(l => Triple(l, "windowStart", "pageId", "count")));
    }

    [Fact]
    public void Hopping_SmallFile_CountsEveryEventInFiveWindows()
    {
        var expected = Reference()
            .SelectMany(e => Enumerable.Range(0, 5).Select(k => (Start: Floor(e.Ts, 60_000) - (k * 60_000L), e.Page)))
            .GroupBy(w => w)
            .Select(g => (g.Key.Start, (long)g.Key.Page, (long)g.Count()));

        AssertSameSet(expected, Run("hopping").Select(l => Triple(l, "windowStart", "pageId", "count")));
    }

    [Fact]
    public void Sessions_SmallFile_SplitsAtThirtyMinuteGaps()
    {
        var expected = new List<(long, long, long)>();
        foreach (var user in Reference().GroupBy(e => e.User))
        {
            var times = user.Select(e => e.Ts).Order().ToList();
            var (start, count) = (times[0], 1L);
            for (var i = 1; i < times.Count; i++)
            {
                if (times[i] - times[i - 1] >= 30 * 60_000)
                {
                    expected.Add((user.Key, start, count));
                    (start, count) = (times[i], 0);
                }

                count++;
            }

            expected.Add((user.Key, start, count));
        }

        Assert.Contains(expected, s => s.Item2 > Reference().Min(e => e.Ts)); // the pause really splits sessions
        AssertSameSet(expected, Run("sessions").Select(l => Triple(l, "userId", "sessionStart", "count")));
    }

    [Fact]
    public void Run_MalformedLines_GoToDeadLettersWithTheirBytes()
    {
        Run("tumbling");

        var letters = File.ReadAllLines(Path.Combine(_directory, "tumbling.jsonl.deadletters.jsonl"))
            .Select(l => JsonDocument.Parse(l).RootElement)
            .ToList();
        Assert.Equal(2, letters.Count);
        Assert.All(letters, l => Assert.False(string.IsNullOrEmpty(l.GetProperty("reason").GetString())));
        var payloads = letters.Select(l => System.Text.Encoding.UTF8.GetString(l.GetProperty("payload").GetBytesFromBase64())).ToList();
        Assert.Contains(payloads, p => p.Contains("\"scroll\"", StringComparison.Ordinal));
        Assert.Equal(File.ReadAllLines(s_input).Length - 1, Reference().Count + letters.Count); // every non-blank line accounted for
    }

    [Theory]
    [InlineData("--query", "tumbling")]
    [InlineData("--input", "x.jsonl", "--query", "tumbling", "--output")]
    [InlineData("--input", "x.jsonl", "--query", "tumbling", "--output", "o.jsonl", "--bogus", "1")]
    public void Run_BadArguments_ExitsWithUsage(params string[] args)
    {
        var (exit, error) = Sample.Execute(args);

        Assert.Equal(2, exit);
        Assert.Contains("usage:", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_UnknownQuery_ExitsWithUsage()
    {
        var (exit, error) = Sample.Execute("--input", s_input, "--query", "median", "--output", Path.Combine(_directory, "o.jsonl"));

        Assert.Equal(2, exit);
        Assert.Contains("unknown query", error, StringComparison.Ordinal);
    }

    private string[] Run(string query)
    {
        var output = Path.Combine(_directory, query + ".jsonl");
        var (exit, error) = Sample.Execute("--input", s_input, "--query", query, "--output", output);
        Assert.True(exit == 0, error);
        return File.ReadAllLines(output);
    }


    /// <summary>The valid events of the input, parsed independently of StreamKit.</summary>
    private static List<(long Ts, int User, int Page, string Type, int DurationMs)> Reference()
    {
        var events = new List<(long, int, int, string, int)>();
        foreach (var line in File.ReadLines(s_input))
        {
            try
            {
                var e = JsonDocument.Parse(line).RootElement;
                var type = e.GetProperty("eventType").GetString()!;
                if (type is "view" or "click" or "purchase" && e.GetProperty("country").GetString()!.Length == 2)
                {
                    events.Add((e.GetProperty("ts").GetInt64(), e.GetProperty("userId").GetInt32(), e.GetProperty("pageId").GetInt32(), type, e.GetProperty("durationMs").GetInt32()));
                }
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // malformed: the sample dead-letters these
            }
        }

        return events;
    }

    private static long Floor(long value, long size) => value - (((value % size) + size) % size);

    private static (long, long, long) Triple(string line, string a, string b, string c)
    {
        var e = JsonDocument.Parse(line).RootElement;
        Assert.Equal(3, e.EnumerateObject().Count());
        return (e.GetProperty(a).GetInt64(), e.GetProperty(b).GetInt64(), e.GetProperty(c).GetInt64());
    }

    private static void AssertSameSet(IEnumerable<(long, long, long)> expected, IEnumerable<(long, long, long)> actual) =>
        Assert.Equal(expected.Order().ToList(), actual.Order().ToList());
}
