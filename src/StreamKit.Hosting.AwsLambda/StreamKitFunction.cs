using System.Buffers;
using System.Text.Json;
using StreamKit.Hosting.AwsLambda.Events;
using StreamKit.Runtime;

namespace StreamKit.Hosting.AwsLambda;

/// <summary>
/// A Lambda handler that runs a StreamKit pipeline over Kinesis, Kafka (MSK, self-managed) or SQS events: one event is
/// one batch of an <see cref="InvocationRunner{T}"/>, and the response names the records the platform must deliver again.
/// </summary>
/// <remarks>
/// <para>Build it once per process (with the runner and its pipelines) and hand it to the runtime loop; warm invocations
/// reuse its buffers and the runner's warm state, and allocate nothing per record.</para>
/// <para>Records are handled in event order until <see cref="InvocationRunnerOptions.DeadlineMargin"/> before the invocation's
/// deadline; the rest are reported in <c>batchItemFailures</c> (Kinesis: by sequence number; SQS: by message id), which
/// the platform honours only when the event source mapping has <c>ReportBatchItemFailures</c> turned on. Dead-lettered
/// records count as handled and are never reported.</para>
/// <para>Kafka: the partial batch response of Kafka event source mappings (provisioned mode) names records by an
/// identifier this package does not rely on, so when records were left untaken the invocation fails
/// (<see cref="TimeoutException"/>) and the platform retries the whole batch; the records already applied are skipped on
/// the retry by their offsets.</para>
/// <para>Replays are recognised per partition by sequence number, which needs sequence numbers to increase within a
/// partition in delivery order: keep a Kinesis mapping's <c>ParallelizationFactor</c> at 1. SQS standard queues have
/// no sequence numbers: they are one partition per queue with numbers made up from the clock, at-least-once (see
/// docs/aws-lambda.md).</para>
/// <para>An exception from the runner (a sink, the state store, a <see cref="StreamKit.State.StateConflictException"/>) propagates:
/// the runtime loop reports an invocation error and the platform retries the whole batch, which the per-partition
/// sequence numbers make safe. Not thread-safe: Lambda gives an instance one invocation at a time.</para>
/// </remarks>
/// <typeparam name="T">The pipeline's record type.</typeparam>
public sealed class StreamKitFunction<T> : ILambdaHandler, IDisposable
    where T : struct
{
    private readonly LambdaEventSource _source;
    private readonly InvocationRunner<T> _runner;
    private readonly LambdaEventReader _reader;

    /// <summary>Creates the handler for events of <paramref name="source"/>.</summary>
    /// <param name="source">The event source mapping that invokes the function.</param>
    /// <param name="runner">The runner holding the pipelines, the state store and the deadline margin.</param>
    public StreamKitFunction(LambdaEventSource source, InvocationRunner<T> runner)
        : this(source, runner, TimeProvider.System)
    {
    }

    /// <summary>Creates the handler with the clock SQS standard-queue sequence numbers are made from (tests).</summary>
    internal StreamKitFunction(LambdaEventSource source, InvocationRunner<T> runner, TimeProvider time)
    {
        if (!Enum.IsDefined(source))
        {
            throw new ArgumentOutOfRangeException(nameof(source), source, "Unknown event source.");
        }

        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(time);
        _source = source;
        _runner = runner;
        _reader = new LambdaEventReader(source, time);
    }

    /// <summary>What the last invocation did: records taken (processed, skipped as already applied, dead-lettered) and the rest.</summary>
    /// <remarks>Left as it was when an invocation fails with an exception.</remarks>
    public InvocationResult LastResult { get; private set; }

    /// <summary>The partition names of the last event, in first-seen order.</summary>
    /// <remarks>
    /// Kinesis: the shard id (<c>shardId-000000000000</c>); Kafka: the event's <c>topic-partition</c> key
    /// (<c>mytopic-0</c>); SQS FIFO: the message group id; SQS standard: the queue ARN. Valid until the next invocation.
    /// </remarks>
    public IReadOnlyList<string> LastPartitions => _reader.Partitions;

    /// <summary>The last event's records, for tests.</summary>
    internal InvocationBatch Batch => _reader.Batch;

    /// <summary>Reads the event, runs it through the runner and writes the partial batch response.</summary>
    /// <param name="invocation">The invocation; its event is read in place.</param>
    /// <param name="response">Receives <c>{"batchItemFailures":[...]}</c>.</param>
    /// <param name="cancellationToken">Cancels state loading and the checkpoint; the invocation then fails as a whole.</param>
    /// <exception cref="FormatException">The event is not of this handler's source (a record that is not an object or has no sequence number, an identifier that is not text).</exception>
    /// <exception cref="JsonException">The event is not JSON.</exception>
    /// <exception cref="TimeoutException">Kafka only: the deadline came before every record was taken.</exception>
    public async ValueTask HandleAsync(LambdaInvocation invocation, IBufferWriter<byte> response, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        ArgumentNullException.ThrowIfNull(response);
        var json = LambdaEventReader.WithoutBom(invocation.Event);
        _reader.Read(json.Span);
        var result = await _runner.RunAsync(_reader.Batch, invocation.Deadline, cancellationToken).ConfigureAwait(false);
        LastResult = result;
        if (_source == LambdaEventSource.Kafka && result.Taken < _reader.Batch.Count)
        {
            ThrowUntaken(result.Taken, _reader.Batch.Count);
        }

        _reader.WriteResponse(response, json.Span, result);
    }

    /// <summary>Returns the pooled buffers of the last event's batch; the handler cannot be used afterwards.</summary>
    /// <remarks>A function's handler lives as long as its instance, so this matters to tests and hosts that build handlers repeatedly.</remarks>
    public void Dispose() => _reader.Dispose();

    private static void ThrowUntaken(int taken, int count) =>
        throw new TimeoutException($"The invocation neared its deadline after {taken} of {count} Kafka records; failing it so that Lambda delivers the batch again (the {taken} applied records will be skipped).");
}
