using Azure.Messaging.EventHubs;
using Clickstream;
using StreamKit.Hosting.AzureFunctions;
using StreamKit.Runtime;

namespace AzureFunctions.Clickstream;

/// <summary>
/// The clickstream query as an Azure Function on an Event Hubs trigger: one batch per invocation, state per partition
/// across invocations, and every record the function could not process dead-lettered before it returns or fails.
/// </summary>
/// <remarks>
/// <para>In a function app (isolated worker, with <c>Microsoft.Azure.Functions.Worker.Extensions.EventHubs</c>), the
/// entry point is <see cref="RunAsync(EventData[], string, bool, CancellationToken)"/> with the trigger's attributes:
/// the worker binds the batch as <see cref="EventData"/> (sequence number, offset, enqueued time and partition key on
/// each event) and the partition to the binding data <c>PartitionContext</c>:</para>
/// <code>
/// [Function("Clickstream")]
/// public async Task Run(
///     [EventHubTrigger("clicks", Connection = "EventHubConnection", IsBatched = true)] EventData[] events,
///     PartitionContextData partitionContext,   // binding data "PartitionContext": { "PartitionId": "0", ... }
///     FunctionContext context)
/// {
///     var retry = context.RetryContext;
///     var final = retry is null || (retry.MaxRetryCount >= 0 &amp;&amp; retry.RetryCount >= retry.MaxRetryCount);
///     await _function.RunAsync(events, partitionContext.PartitionId, final, context.CancellationToken);
/// }
/// </code>
/// <para>The Functions worker's Event Hubs extension is not served to this repository's build, so the class is written
/// without it (against <c>Azure.Messaging.EventHubs</c>, which is), and the sample's <c>--invoke</c> mode calls it
/// as the host would, one invocation per process, from a batch written as JSON.</para>
/// </remarks>
public sealed class ClickstreamFunction : IAsyncDisposable
{
    private readonly FunctionJob _job;
    private readonly AzureFunctionsRunner<ClickEvent> _runner;
    private readonly JsonLinesDeadLetterSink _unprocessed;

    /// <summary>Builds the function's query once per process; the host then calls it for every batch.</summary>
    /// <param name="query"><c>filter</c>, <c>tumbling</c>, <c>hopping</c> or <c>sessions</c>.</param>
    /// <param name="outputPath">JSON lines file the windows closed by each invocation are appended to.</param>
    /// <param name="stateDirectory">Where each partition's state lives between invocations; in Azure, a <c>BlobStateStore</c> instead (see docs/azure-functions.md).</param>
    /// <param name="functionTimeout">The host's <c>functionTimeout</c>.</param>
    public ClickstreamFunction(string query, string outputPath, string stateDirectory, TimeSpan functionTimeout)
    {
        _job = FunctionJob.Create(query, outputPath, stateDirectory, KafkaJobs.DeadLetterPath(outputPath));
        _unprocessed = new JsonLinesDeadLetterSink(UnprocessedPath(outputPath));
        _runner = new AzureFunctionsRunner<ClickEvent>(_job.Runner, _unprocessed, new AzureFunctionsRunnerOptions { FunctionTimeout = functionTimeout });
    }

    /// <summary>Where the records an invocation could not process go (past the deadline, or in a failed invocation): <c>OUT.unprocessed.jsonl</c>.</summary>
    /// <remarks>Malformed events go to <c>OUT.deadletters.jsonl</c>, as in the file run.</remarks>
    public static string UnprocessedPath(string outputPath) => outputPath + ".unprocessed.jsonl";

    /// <summary>The Event Hubs trigger's entry point: the batch as the isolated worker binds it, and its partition.</summary>
    /// <param name="events">The events (clickstream JSON lines, one event each) with their system properties.</param>
    /// <param name="partitionId"><c>PartitionContext.PartitionId</c>.</param>
    /// <param name="finalAttempt">Whether the host's retry policy has attempts left for this batch (see <see cref="AzureFunctionsRunner{T}"/>).</param>
    /// <param name="cancellationToken">The invocation's cancellation.</param>
    public ValueTask<FunctionBatchResult> RunAsync(EventData[] events, string partitionId, bool finalAttempt = true, CancellationToken cancellationToken = default) =>
        _runner.RunEventHubsAsync(partitionId, events, finalAttempt, cancellationToken);

    /// <summary>Runs a batch already read (a captured or replayed batch, the local invoker).</summary>
    public ValueTask<FunctionBatchResult> RunAsync(InvocationBatch batch, CancellationToken cancellationToken = default) =>
        _runner.RunAsync(batch, cancellationToken: cancellationToken);

    /// <summary>Closes every open window of <paramref name="partitionId"/>: its stream has ended (a backfill's end).</summary>
    public ValueTask CompleteAsync(string partitionId, CancellationToken cancellationToken = default) =>
        _job.CompleteAsync(partitionId, cancellationToken);

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        _runner.Dispose();
        _unprocessed.Dispose();
        await _job.DisposeAsync().ConfigureAwait(false);
    }
}
