using System.Diagnostics;
using System.Globalization;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.Windows;

namespace Clickstream;

/// <summary>Runs one query from files to a file: source, decoder, pipeline, sink and dead letters wired together.</summary>
internal static class Jobs
{
    public static async Task<RunnerCounters> RunQueryAsync(string query, string input, string output, string deadLetters)
    {
        switch (query)
        {
            case "filter":
            {
                await using var sink = Formats.OpenOutput(output, Formats.Engagement, "EngagementTotal");
                var counters = await RunAsync(input, deadLetters, Queries.Filter(sink));
                if (sink.Count == 0)
                {
                    sink.Write([default]); // the contract promises one line, also when nothing matched
                }

                return counters;
            }

            case "tumbling":
            case "hopping":
            {
                await using var sink = Formats.OpenOutput(output, Formats.PageWindow, "PageWindowCount");
                return await RunAsync(input, deadLetters, query == "tumbling" ? Queries.Tumbling(sink) : Queries.Hopping(sink));
            }

            default:
            {
                await using var sink = Formats.OpenOutput(output, Formats.UserSession, "UserSession");
                return await RunAsync(input, deadLetters, Queries.Sessions(sink));
            }
        }
    }

    /// <summary>Runs a pipeline over the files at <paramref name="input"/>, decoding them by their format.</summary>
    public static async Task<RunnerCounters> RunAsync(string input, string deadLetterPath, Pipeline<ClickEvent> pipeline)
    {
        var (source, decoder) = Formats.OpenInput(input);
        await using var disposeSource = source;
        RunnerCounters counters;
        using (var deadLetters = new JsonLinesDeadLetterSink(deadLetterPath))
        {
            var runner = new PipelineRunner<ClickEvent>(pipeline, source, decoder, deadLetters);
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
