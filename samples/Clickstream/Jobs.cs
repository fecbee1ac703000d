using System.Diagnostics;
using System.Globalization;
using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;

namespace Clickstream;

/// <summary>Runs one query from files or a Kafka topic to a file or a topic: source, decoder, pipeline, sink and dead letters wired together.</summary>
public static class Jobs
{
    /// <summary>Runs one of the sample's queries (<c>filter</c>, <c>tumbling</c>, <c>hopping</c>, <c>sessions</c>).</summary>
    /// <param name="query">The query name.</param>
    /// <param name="input">Files (JSON lines, MessagePack, Avro: see <see cref="Formats.OpenInput"/>) or a <c>kafka://</c> address.</param>
    /// <param name="output">A file (<c>.jsonl</c>, <c>.msgpack</c>, <c>.avro</c>) or a <c>kafka://</c> address (one JSON object per message).</param>
    /// <param name="deadLetterPath">The dead-letter file, deleted when there are none.</param>
    /// <param name="bounded">For Kafka input: stop at the end offsets seen at start, then close every window. Files are always bounded.</param>
    /// <param name="options">Checkpointing (state store, interval); <see langword="null"/> for none.</param>
    /// <param name="cancellationToken">Stops an unbounded run, after a final checkpoint.</param>
    public static Task<RunnerCounters> RunQueryAsync(
        string query,
        string input,
        string output,
        string deadLetterPath,
        bool bounded = false,
        RunnerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var job = new Job(input, deadLetterPath, bounded, options, cancellationToken);
        return query switch
        {
            "filter" => job.RunAsync(output, Formats.Engagement, "EngagementTotal", sink => Queries.Filter(sink), atLeastOne: true),
            "tumbling" => job.RunAsync(output, Formats.PageWindow, "PageWindowCount", sink => Queries.Tumbling(sink)),
            "hopping" => job.RunAsync(output, Formats.PageWindow, "PageWindowCount", sink => Queries.Hopping(sink)),
            "sessions" => job.RunAsync(output, Formats.UserSession, "UserSession", sink => Queries.Sessions(sink)),
            _ => throw new ArgumentException($"unknown query '{query}'", nameof(query)),
        };
    }

    /// <summary>Runs <paramref name="pipeline"/> over <paramref name="input"/>, dead letters to a file; reports progress on stderr once a second on long runs.</summary>
    public static async Task<RunnerCounters> RunAsync(
        string input,
        string deadLetterPath,
        Pipeline<ClickEvent> pipeline,
        bool bounded = false,
        RunnerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (source, decoder) = KafkaJobs.IsKafka(input)
            ? ((IRecordSource)KafkaJobs.CreateSource(KafkaJobs.ParseAddress(input), bounded), (IRecordDecoder<ClickEvent>)new JsonLinesDecoder<ClickEvent>(ClickEvents.Map))
            : Formats.OpenInput(input);
        await using var disposeSource = source;
        RunnerCounters counters;
        using (var deadLetters = new JsonLinesDeadLetterSink(deadLetterPath))
        {
            var runner = new PipelineRunner<ClickEvent>(pipeline, source, decoder, deadLetters, options);
            var started = Stopwatch.GetTimestamp();
            var run = runner.RunAsync(cancellationToken);
            while (await Task.WhenAny(run, Task.Delay(1000, CancellationToken.None)) != run)
            {
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  ... {runner.Counters.Read:N0} records in {seconds:F0} s"));
            }

            await run;
            counters = runner.Counters;
        }

        if (counters.DeadLettered == 0)
        {
            File.Delete(deadLetterPath);
        }

        return counters;
    }

    private sealed record Job(string Input, string DeadLetterPath, bool Bounded, RunnerOptions? Options, CancellationToken CancellationToken)
    {
        public async Task<RunnerCounters> RunAsync<T>(string output, RecordMap<T> map, string avroRecordName, Func<IRecordSink<T>, Pipeline<ClickEvent>> build, bool atLeastOne = false)
            where T : struct
        {
            IRecordSink<T> sink = KafkaJobs.IsKafka(output) ? KafkaJobs.CreateSink(KafkaJobs.ParseAddress(output), map) : Formats.OpenOutput(output, map, avroRecordName);
            await using var disposeSink = (IAsyncDisposable)sink;
            var counted = new CountingSink<T>(sink);
            var counters = await Jobs.RunAsync(Input, DeadLetterPath, build(counted), Bounded, Options, CancellationToken);
            if (atLeastOne && counted.Count == 0)
            {
                counted.Write([default]); // the contract promises one result, also when nothing matched
                await sink.FlushAsync(CancellationToken.None);
            }

            return counters;
        }
    }

    /// <summary>Counts what reaches a sink, for the one-result promise of <c>filter</c>.</summary>
    private sealed class CountingSink<T>(IRecordSink<T> inner) : IRecordSink<T>
    {
        public long Count { get; private set; }

        public void Write(ReadOnlySpan<T> records)
        {
            Count += records.Length;
            inner.Write(records);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);
    }
}
