using System.Diagnostics;
using System.Globalization;
using StreamKit;
using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Kafka;
using StreamKit.Runtime;
using StreamKit.State;

namespace Clickstream;

/// <summary>Runs one query from files or a Kafka topic to a file or a topic: source, decoder, pipeline, sink and dead letters wired together.</summary>
public static class Jobs
{
    /// <summary>Runs one of the sample's queries (<c>filter</c>, <c>tumbling</c>, <c>hopping</c>, <c>sessions</c>).</summary>
    /// <param name="query">The query name.</param>
    /// <param name="input">Files (JSON lines, MessagePack, Avro: see <see cref="Formats.OpenInput"/>) or a <c>kafka://</c> address (group <see cref="KafkaJobs.DefaultGroupOf"/> unless it names one).</param>
    /// <param name="output">
    /// A file (<c>.jsonl</c>, <c>.msgpack</c>, <c>.avro</c>), a directory (ending in <c>/</c>, or existing: JSON lines
    /// part files published at checkpoints, see <see cref="Formats.IsDirectory"/>), or a <c>kafka://</c> address (one
    /// JSON object per message, keyed by window and key).
    /// </param>
    /// <param name="deadLetterPath">The dead-letter file, deleted when there are none.</param>
    /// <param name="bounded">For Kafka input: stop at the end offsets seen at start, then close every window. Files are always bounded.</param>
    /// <param name="options">
    /// Checkpointing (state store, key, interval); <see langword="null"/> for none. With a state store a run continues
    /// from the last checkpoint under the key, and a single output file is cut back to what that checkpoint covered.
    /// </param>
    /// <param name="cancellationToken">Stops an unbounded run, after a final checkpoint.</param>
    public static Task<RunnerCounters> RunQueryAsync(
        string query,
        string input,
        string output,
        string deadLetterPath,
        bool bounded = false,
        PipelineRunnerOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var job = new Job(query, input, deadLetterPath, bounded, options, cancellationToken);
        return query switch
        {
            "filter" => job.RunAsync(output, Formats.Engagement, "EngagementTotal", KafkaJobs.TotalKey, sink => Queries.Filter(sink), atLeastOne: true),
            "tumbling" => job.RunAsync(output, Formats.PageWindow, "PageWindowCount", KafkaJobs.WindowKey, sink => Queries.Tumbling(sink)),
            "hopping" => job.RunAsync(output, Formats.PageWindow, "PageWindowCount", KafkaJobs.WindowKey, sink => Queries.Hopping(sink)),
            "sessions" => job.RunAsync(output, Formats.UserSession, "UserSession", KafkaJobs.WindowKey, sink => Queries.Sessions(sink)),
            _ => throw new ArgumentException($"unknown query '{query}'", nameof(query)),
        };
    }

    /// <summary>Whether <paramref name="options"/> name a state store that already holds a checkpoint under their key: the run resumes.</summary>
    public static async Task<bool> HasCheckpointAsync(PipelineRunnerOptions? options, CancellationToken cancellationToken = default) =>
        options is { StateStore: { } store, StateKey: { } key } && await store.LoadAsync(key, cancellationToken).ConfigureAwait(false) is not null;

    /// <summary>Runs <paramref name="pipeline"/> over <paramref name="input"/>, dead letters to a file; reports progress on stderr once a second on long runs.</summary>
    /// <param name="input">Files or a <c>kafka://</c> address.</param>
    /// <param name="deadLetterPath">The dead-letter file, deleted when there are none.</param>
    /// <param name="pipeline">The query.</param>
    /// <param name="bounded">For Kafka input: stop at the end offsets seen at start.</param>
    /// <param name="options">Checkpointing; <see langword="null"/> for none.</param>
    /// <param name="query">For Kafka input without <c>?group=</c>: names the consumer group (<see cref="KafkaJobs.DefaultGroupOf"/>).</param>
    /// <param name="cancellationToken">Stops an unbounded run, after a final checkpoint.</param>
    public static async Task<RunnerCounters> RunAsync(
        string input,
        string deadLetterPath,
        Pipeline<ClickEvent> pipeline,
        bool bounded = false,
        PipelineRunnerOptions? options = null,
        string? query = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        var (source, decoder) = KafkaJobs.IsKafka(input)
            ? ((IRecordSource)KafkaJobs.CreateSource(KafkaJobs.ParseAddress(input), bounded, query), (IRecordDecoder<ClickEvent>)new JsonLinesDecoder<ClickEvent>(ClickEvents.Map))
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

        // With checkpoints, earlier runs' dead letters stay: this run resumed after them.
        if (counters.DeadLettered == 0 && (options?.StateStore is null || new FileInfo(deadLetterPath) is { Exists: true, Length: 0 }))
        {
            File.Delete(deadLetterPath);
        }

        return counters;
    }

    private sealed record Job(string Query, string Input, string DeadLetterPath, bool Bounded, PipelineRunnerOptions? Options, CancellationToken CancellationToken)
    {
        public async Task<RunnerCounters> RunAsync<T>(string output, RecordMap<T> map, string avroRecordName, KafkaKeyWriter<T> key, Func<IRecordSink<T>, Pipeline<ClickEvent>> build, bool atLeastOne = false)
            where T : struct
        {
            var resumed = await HasCheckpointAsync(Options, CancellationToken);
            IRecordSink<T> sink = KafkaJobs.IsKafka(output) ? KafkaJobs.CreateSink(KafkaJobs.ParseAddress(output), map, key)
                : Formats.IsDirectory(output) ? Formats.OpenOutputDirectory(output, map)
                : Formats.OpenOutput(output, map, avroRecordName, checkpointed: Options?.StateStore is not null, resumed);
            await using var disposeSink = (IAsyncDisposable)sink;
            var counted = new CountingSink<T>(sink);
            var counters = await Jobs.RunAsync(Input, DeadLetterPath, build(counted), Bounded, Options, Query, CancellationToken);

            // A resumed run's total was written by the run that completed the input, or is still to come.
            if (atLeastOne && counted.Count == 0 && !resumed)
            {
                counted.Write([default]); // the contract promises one result, also when nothing matched
                await sink.FlushAsync(CancellationToken.None);
            }

            return counters;
        }
    }

    /// <summary>Counts what reaches a sink, for the one-result promise of <c>filter</c>; the sink's commit and state still take part in checkpoints.</summary>
    private sealed class CountingSink<T>(IRecordSink<T> inner) : IRecordSink<T>, ITransactionalSink, ICheckpointed
    {
        public long Count { get; private set; }

        public void Write(ReadOnlySpan<T> records)
        {
            Count += records.Length;
            inner.Write(records);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default) => inner.FlushAsync(cancellationToken);

        public ValueTask CommitAsync(CancellationToken cancellationToken = default) =>
            inner is ITransactionalSink transactional ? transactional.CommitAsync(cancellationToken) : ValueTask.CompletedTask;

        public void WriteState(StateWriter writer) => (inner as ICheckpointed)?.WriteState(writer);

        public void ReadState(ref StateReader reader)
        {
            if (inner is ICheckpointed checkpointed)
            {
                checkpointed.ReadState(ref reader);
            }
        }
    }
}
