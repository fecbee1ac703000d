using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;

namespace Clickstream;

/// <summary>
/// One clickstream query run as a function (AWS Lambda, Azure Functions): one batch per invocation, state per
/// partition in a directory, closed windows appended to a JSON lines file in the same format as the file run's output.
/// </summary>
/// <remarks>
/// The function samples build one per process and call <see cref="RunAsync"/> once per invocation; batches delivered
/// again are recognised by their sequence numbers, so a sequence of invocations gives the file run's answers.
/// </remarks>
public sealed class FunctionJob : IAsyncDisposable
{
    private readonly IAsyncDisposable _output;
    private readonly JsonLinesDeadLetterSink _deadLetters;
    private readonly Func<long> _written;
    private readonly Func<ValueTask> _writeEmptyResult;

    private FunctionJob(InvocationRunner<ClickEvent> runner, IAsyncDisposable output, JsonLinesDeadLetterSink deadLetters, Func<long> written, Func<ValueTask> writeEmptyResult)
    {
        Runner = runner;
        _output = output;
        _deadLetters = deadLetters;
        _written = written;
        _writeEmptyResult = writeEmptyResult;
    }

    /// <summary>The runner: give it each invocation's batch.</summary>
    public InvocationRunner<ClickEvent> Runner { get; }

    /// <summary>Builds the job for <paramref name="query"/> (<c>filter</c>, <c>tumbling</c>, <c>hopping</c>, <c>sessions</c>).</summary>
    /// <param name="query">The query name.</param>
    /// <param name="outputPath">JSON lines file the closed windows are appended to.</param>
    /// <param name="stateDirectory">Where each partition's state lives between invocations.</param>
    /// <param name="deadLetterPath">JSON lines file malformed records are appended to.</param>
    /// <param name="options">Deadline margin and clock; the state store is set here.</param>
    public static FunctionJob Create(string query, string outputPath, string stateDirectory, string deadLetterPath, InvocationOptions? options = null) =>
        Create(query, outputPath, new FileStateStore(stateDirectory), deadLetterPath, options);

    /// <summary>Builds the job for <paramref name="query"/> with its state in <paramref name="store"/> (S3, Blob Storage).</summary>
    /// <param name="query">The query name.</param>
    /// <param name="outputPath">JSON lines file the closed windows are appended to.</param>
    /// <param name="store">Where each partition's state lives between invocations.</param>
    /// <param name="deadLetterPath">JSON lines file malformed records are appended to.</param>
    /// <param name="options">Deadline margin and clock; the state store is set here.</param>
    public static FunctionJob Create(string query, string outputPath, IStateStore store, string deadLetterPath, InvocationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentNullException.ThrowIfNull(store);
        options ??= new InvocationOptions();
        options.StateStore = store;
        options.StateKeyPrefix ??= query + "/";
        var deadLetters = new JsonLinesDeadLetterSink(deadLetterPath);
        return query switch
        {
            "filter" => Build(outputPath, Formats.Engagement, sink => Queries.Filter(sink), deadLetters, options, atLeastOne: true),
            "tumbling" => Build(outputPath, Formats.PageWindow, sink => Queries.Tumbling(sink), deadLetters, options),
            "hopping" => Build(outputPath, Formats.PageWindow, sink => Queries.Hopping(sink), deadLetters, options),
            "sessions" => Build(outputPath, Formats.UserSession, sink => Queries.Sessions(sink), deadLetters, options),
            _ => throw new ArgumentException($"unknown query '{query}'", nameof(query)),
        };
    }

    /// <summary>Processes one invocation's batch and checkpoints.</summary>
    public ValueTask<InvocationResult> RunAsync(InvocationBatch batch, DateTimeOffset deadline, CancellationToken cancellationToken = default) =>
        Runner.RunAsync(batch, deadline, cancellationToken);

    /// <summary>The stream of <paramref name="partition"/> has ended: closes its open windows and checkpoints.</summary>
    /// <remarks><c>filter</c> promises one result: when nothing matched, a zero total is written, as the file run does.</remarks>
    public async ValueTask CompleteAsync(string partition, CancellationToken cancellationToken = default)
    {
        var before = _written();
        await Runner.CompleteAsync(partition, cancellationToken).ConfigureAwait(false);
        if (_written() == before)
        {
            await _writeEmptyResult().ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _output.DisposeAsync().ConfigureAwait(false);
        _deadLetters.Dispose();
    }

    private static FunctionJob Build<T>(string outputPath, RecordMap<T> map, Func<IRecordSink<T>, Pipeline<ClickEvent>> build, JsonLinesDeadLetterSink deadLetters, InvocationOptions options, bool atLeastOne = false)
        where T : struct
    {
        var output = new JsonLinesFileSink<T>(outputPath, new JsonLinesEncoder<T>(map), append: true);
        var runner = new InvocationRunner<ClickEvent>(
            () => new PipelineInstance<ClickEvent>(build(output), new JsonLinesDecoder<ClickEvent>(ClickEvents.Map)),
            deadLetters,
            options);
        return new FunctionJob(
            runner,
            output,
            deadLetters,
            () => output.Count,
            async () =>
            {
                if (atLeastOne)
                {
                    output.Write([default]);
                    await output.FlushAsync().ConfigureAwait(false);
                }
            });
    }
}
