using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using StreamKit;
using StreamKit.Windows;

namespace Clickstream;

/// <summary>The sample's default run: every query over the embedded data set, summarised for a person.</summary>
internal static class Summary
{
    public static async Task<int> RunAsync()
    {
        var input = ExtractEmbeddedData();
        try
        {
            var deadLetters = Path.Combine(Path.GetTempPath(), "streamkit-clickstream-deadletters.jsonl");
            var inv = CultureInfo.InvariantCulture;
            Console.WriteLine("StreamKit clickstream sample: the embedded data set (120,000 events over about 4 hours, 3 malformed lines)");
            Console.WriteLine();

            var filter = new ListSink<WindowResult<(long Count, long SumDurationMs)>>();
            var counters = await Jobs.RunAsync(input, deadLetters, Queries.Filter(filter));
            var (count, sum) = filter.Items.Count == 0 ? (0L, 0L) : filter.Items[0].Value;
            Console.WriteLine(string.Create(inv, $"Input: {counters.Read:N0} lines, {counters.Processed:N0} events, {counters.DeadLettered:N0} malformed (dead-lettered with raw bytes, position and reason)"));
            Console.WriteLine();
            Console.WriteLine(string.Create(inv, $"Q1 filter: {count:N0} clicks and purchases, {sum / 1000.0 / 3600:N1} hours of engagement in total"));

            var tumbling = new ListSink<WindowResult<int, long>>();
            await Jobs.RunAsync(input, deadLetters, Queries.Tumbling(tumbling));
            Console.WriteLine();
            Console.WriteLine(string.Create(inv, $"Q2 tumbling: {tumbling.Items.Count:N0} (minute, page) view counts; top pages of the first five minutes:"));
            foreach (var window in tumbling.Items.GroupBy(r => r.Start).OrderBy(g => g.Key).Take(5))
            {
                var top = window.OrderByDescending(r => r.Value).ThenBy(r => r.Key).Take(3).Select(r => string.Create(inv, $"page {r.Key} ({r.Value})"));
                Console.WriteLine($"  {Time(window.Key)}  {string.Join(", ", top)}");
            }

            var hopping = new ListSink<WindowResult<int, long>>();
            await Jobs.RunAsync(input, deadLetters, Queries.Hopping(hopping));
            var busiest = hopping.Items.OrderByDescending(r => r.Value).ThenBy(r => r.Start).First();
            Console.WriteLine();
            Console.WriteLine(string.Create(inv, $"Q3 hopping: {hopping.Items.Count:N0} (5-minute window, page) counts; busiest: page {busiest.Key} with {busiest.Value:N0} events in {Time(busiest.Start)}-{Time(busiest.End)}"));

            var sessions = new ListSink<WindowResult<int, long>>();
            await Jobs.RunAsync(input, deadLetters, Queries.Sessions(sessions));
            var longest = sessions.Items.OrderByDescending(r => r.End - r.Start).First();
            Console.WriteLine();
            Console.WriteLine(string.Create(inv, $"Q4 sessions: {sessions.Items.Count:N0} sessions of {sessions.Items.Select(r => r.Key).Distinct().Count():N0} users, {sessions.Items.Average(r => r.Value):N1} events per session on average"));
            Console.WriteLine(string.Create(inv, $"  longest: user {longest.Key}, {(longest.End - longest.Start) / 60000.0:N0} minutes, {longest.Value:N0} events"));
            Console.WriteLine();
            Console.WriteLine("Run one query on your own file:  dotnet run -c Release --project samples/Clickstream -- --input events.jsonl --query tumbling --output out.jsonl");
            File.Delete(deadLetters);
            return 0;
        }
        finally
        {
            File.Delete(input);
        }
    }

    private static string Time(long epochMilliseconds) =>
        DateTimeOffset.FromUnixTimeMilliseconds(epochMilliseconds).ToString("HH:mm", CultureInfo.InvariantCulture);

    private static string ExtractEmbeddedData()
    {
        var path = Path.Combine(Path.GetTempPath(), $"streamkit-clickstream-{Environment.ProcessId}.jsonl.gz");
        using var resource = Assembly.GetExecutingAssembly().GetManifestResourceStream("events.jsonl.gz")
            ?? throw new InvalidOperationException("The embedded data set is missing from the build.");
        using var file = File.Create(path);
        resource.CopyTo(file);
        return path;
    }
}

/// <summary>Keeps results in memory for the summary.</summary>
internal sealed class ListSink<T> : IRecordSink<T>
{
    public List<T> Items { get; } = [];

    public void Write(ReadOnlySpan<T> records) => Items.AddRange(records);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
}
