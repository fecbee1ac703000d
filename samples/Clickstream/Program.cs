using System.Diagnostics;
using System.Globalization;
using Clickstream;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.Windows;

// The clickstream sample. With no arguments it runs every query on the embedded data set and prints a summary;
// with --input/--query/--output it is a small tool whose output format other checks rely on:
//   dotnet run -c Release --project samples/Clickstream -- --input events.jsonl --query tumbling --output out.jsonl
const string Usage = "usage: Clickstream [--input FILE --query filter|tumbling|hopping|sessions --output FILE]";

var arguments = ParseArguments(args);
if (arguments is null)
{
    Console.Error.WriteLine(Usage);
    return 2;
}

if (arguments.Count == 0)
{
    return await Summary.RunAsync();
}

if (!arguments.TryGetValue("input", out var input) || !arguments.TryGetValue("query", out var query) || !arguments.TryGetValue("output", out var output))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

if (!File.Exists(input) && !Directory.Exists(input))
{
    Console.Error.WriteLine($"error: input '{input}' not found");
    return 1;
}

var deadLetterPath = output + ".deadletters.jsonl";
var counters = query switch
{
    "filter" => await Jobs.FilterAsync(input, output, deadLetterPath),
    "tumbling" => await Jobs.WindowedAsync(input, output, deadLetterPath, Queries.Tumbling, Formats.PageWindow),
    "hopping" => await Jobs.WindowedAsync(input, output, deadLetterPath, Queries.Hopping, Formats.PageWindow),
    "sessions" => await Jobs.WindowedAsync(input, output, deadLetterPath, Queries.Sessions, Formats.UserSession),
    _ => null,
};

if (counters is null)
{
    Console.Error.WriteLine($"error: unknown query '{query}'");
    Console.Error.WriteLine(Usage);
    return 2;
}

Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{query}: {counters.Read:N0} records read, {counters.Processed:N0} processed, {counters.DeadLettered:N0} dead-lettered{(counters.DeadLettered > 0 ? $" ({deadLetterPath})" : "")} -> {output}"));
return 0;

static Dictionary<string, string>? ParseArguments(string[] args)
{
    var result = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i < args.Length; i += 2)
    {
        if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Length)
        {
            return null;
        }

        var name = args[i][2..];
        if (name is not ("input" or "query" or "output"))
        {
            return null;
        }

        result[name] = args[i + 1];
    }

    return result;
}

/// <summary>Runs one query from a JSON lines file (or directory) to a JSON lines file.</summary>
internal static class Jobs
{
    public static async Task<RunnerCounters> FilterAsync(string input, string output, string deadLetterPath)
    {
        var results = new ListSink<WindowResult<NoKey, (long Count, long SumDurationMs)>>();
        var counters = await RunAsync(input, deadLetterPath, Queries.Filter(results));
        var (count, sum) = results.Items.Count == 0 ? (0L, 0L) : results.Items[^1].Value;
        await File.WriteAllTextAsync(output, string.Create(CultureInfo.InvariantCulture, $"{{\"count\":{count},\"sumDurationMs\":{sum}}}\n"));
        return counters;
    }

    public static async Task<RunnerCounters> WindowedAsync<TKey>(
        string input,
        string output,
        string deadLetterPath,
        Func<IRecordSink<WindowResult<TKey, long>>, PipelineOptions?, Pipeline<ClickEvent>> query,
        StreamKit.Records.RecordMap<WindowResult<TKey, long>> format)
        where TKey : unmanaged, IEquatable<TKey>
    {
        await using var sink = new JsonLinesFileSink<WindowResult<TKey, long>>(output, new JsonLinesEncoder<WindowResult<TKey, long>>(format));
        return await RunAsync(input, deadLetterPath, query(sink, null));
    }

    public static async Task<RunnerCounters> RunAsync(string input, string deadLetterPath, Pipeline<ClickEvent> pipeline)
    {
        await using var source = new JsonLinesFileSource(input);
        RunnerCounters counters;
        using (var deadLetters = new JsonLinesDeadLetterSink(deadLetterPath))
        {
            var runner = new PipelineRunner<ClickEvent>(pipeline, source, new JsonLinesDecoder<ClickEvent>(ClickEvents.Map), deadLetters);
            await RunWithProgressAsync(runner);
            counters = runner.Counters;
        }

        if (counters.DeadLettered == 0)
        {
            File.Delete(deadLetterPath);
        }

        return counters;
    }

    /// <summary>Runs, reporting progress on stderr once a second when a run takes longer than that.</summary>
    private static async Task RunWithProgressAsync(PipelineRunner<ClickEvent> runner)
    {
        var started = Stopwatch.GetTimestamp();
        var run = runner.RunAsync();
        while (await Task.WhenAny(run, Task.Delay(1000)) != run)
        {
            var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... {runner.Counters.Read:N0} records in {seconds:F0} s"));
        }

        await run;
    }
}

/// <summary>The output formats of the sample's contract, as record maps over window results.</summary>
internal static class Formats
{
    public static StreamKit.Records.RecordMap<WindowResult<int, long>> PageWindow { get; } = new StreamKit.Records.RecordMap<WindowResult<int, long>>()
        .Int64("windowStart", null, static (in WindowResult<int, long> r) => r.Start)
        .Int32("pageId", null, static (in WindowResult<int, long> r) => r.Key)
        .Int64("count", null, static (in WindowResult<int, long> r) => r.Value);

    public static StreamKit.Records.RecordMap<WindowResult<int, long>> UserSession { get; } = new StreamKit.Records.RecordMap<WindowResult<int, long>>()
        .Int32("userId", null, static (in WindowResult<int, long> r) => r.Key)
        .Int64("sessionStart", null, static (in WindowResult<int, long> r) => r.Start)
        .Int64("count", null, static (in WindowResult<int, long> r) => r.Value);
}
