using System.Buffers;
using System.Buffers.Text;
using System.Text;
using StreamKit.Runtime;

namespace StreamKit.Hosting.AzureFunctions;

/// <summary>
/// Runs an Azure Functions trigger batch (Event Hubs, Kafka) through an <see cref="InvocationRunner{T}"/>: one invocation
/// = one batch, state per partition across invocations, and nothing silently lost when the trigger checkpoints anyway.
/// </summary>
/// <remarks>
/// <para>Azure Functions has no partial-batch response, and the Event Hubs trigger (like the Kafka trigger) moves its
/// checkpoint past a batch whether the function succeeded or not. So before a call returns or fails for the last time,
/// every record of the batch the pipeline did not take is written to the dead-letter sink given here and flushed:</para>
/// <list type="bullet">
/// <item>records left when the deadline came near (reason <see cref="PastDeadlineReason"/>);</item>
/// <item>when the run throws (a sink, the state store, a state conflict) on the final attempt, every record of the
/// batch that the partition's saved state does not hold, read back from the store (reason starting with
/// <see cref="FailedReasonPrefix"/>; every record when the store cannot be read, and the reason says so), and then the
/// exception is rethrown. See docs/azure-functions.md for what to replay.</item>
/// </list>
/// <para>With a retry policy on the function (<c>[FixedDelayRetry]</c>, <c>[ExponentialBackoffRetry]</c>), the host runs
/// the same batch again before it checkpoints. Pass <c>finalAttempt: false</c> on the attempts the host will retry: the
/// failure is rethrown without dead letters and the retry, recognised by its sequence numbers, counts each record once.
/// A record is dead-lettered only when the platform will not deliver it again.</para>
/// <para>Not thread-safe: the host calls one function instance's invocations for a partition one at a time. Keep one
/// runner per process (a static or a singleton), so pipelines stay warm across invocations.</para>
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed partial class AzureFunctionsRunner<T> : IDisposable
    where T : struct
{
    /// <summary>The reason on the dead letters of records not processed before the invocation's deadline.</summary>
    public const string PastDeadlineReason = "not processed before the invocation deadline";

    /// <summary>How the reason on the dead letters of a failed invocation starts; the exception's type and message follow.</summary>
    public const string FailedReasonPrefix = "the invocation failed: ";

    private readonly InvocationRunner<T> _runner;
    private readonly IDeadLetterSink _deadLetters;
    private readonly AzureFunctionsRunnerOptions _options;
    private readonly InvocationBatch _batch = new();
    private byte[] _scratch = [];

    /// <summary>Creates a runner over <paramref name="runner"/>.</summary>
    /// <param name="runner">The invocation runner: its state store should be durable (<c>BlobStateStore</c>, a mounted directory).</param>
    /// <param name="deadLetters">Where unprocessed records go; may be the runner's own dead-letter sink. It must be durable once flushed: it is the only copy of those records after the trigger checkpoints.</param>
    /// <param name="options">The function timeout and the clock; defaults when <see langword="null"/>.</param>
    public AzureFunctionsRunner(InvocationRunner<T> runner, IDeadLetterSink deadLetters, AzureFunctionsRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(runner);
        ArgumentNullException.ThrowIfNull(deadLetters);
        _runner = runner;
        _deadLetters = deadLetters;
        _options = options ?? new AzureFunctionsRunnerOptions();
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(_options.FunctionTimeout, TimeSpan.Zero, nameof(options));
    }

    /// <summary>Runs a batch filled by the caller (see <see cref="EventHubsBatchJson"/>) and dead-letters what it could not process.</summary>
    /// <param name="batch">The invocation's records in delivery order.</param>
    /// <param name="finalAttempt"><see langword="false"/> when the host will run this batch again after a failure (a retry policy with attempts left); see the remarks on the class.</param>
    /// <param name="cancellationToken">Cancels loading and the checkpoint; a cancelled invocation fails like any other.</param>
    /// <returns>What happened to every record.</returns>
    public async ValueTask<FunctionBatchResult> RunAsync(InvocationBatch batch, bool finalAttempt = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var deadline = _options.TimeProvider.GetUtcNow() + _options.FunctionTimeout;
        InvocationResult result;
        try
        {
            result = await _runner.RunAsync(batch, deadline, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception failure) when (finalAttempt)
        {
            var reason = FailedReasonPrefix + failure.GetType().Name + ": " + failure.Message;
            try
            {
                await DeadLetterUnappliedAsync(batch, reason).ConfigureAwait(false);
            }
            catch (Exception deadLetterFailure)
            {
                throw new AggregateException("The invocation failed and its records could not be dead-lettered: they may be lost when the trigger checkpoints.", failure, deadLetterFailure);
            }

            throw;
        }

        var pastDeadline = batch.Count - result.Taken;
        if (pastDeadline > 0)
        {
            await DeadLetterAsync(batch, result.Taken, PastDeadlineReason).ConfigureAwait(false);
        }

        return new FunctionBatchResult(result.Processed, result.Skipped, result.DeadLettered + pastDeadline, pastDeadline);
    }

    /// <summary>The batch the trigger overloads fill, reused across invocations.</summary>
    internal InvocationBatch Batch => _batch;

    /// <summary>Returns the pooled buffers of the batch this runner fills for the trigger overloads.</summary>
    public void Dispose()
    {
        _batch.Dispose();
        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }
    }

    /// <summary>After a failure: the records the stored state does not hold; all of them when the store cannot say (it may be what failed).</summary>
    private async ValueTask DeadLetterUnappliedAsync(InvocationBatch batch, string reason)
    {
        try
        {
            await _runner.DeadLetterUnappliedAsync(batch, 0, reason, _deadLetters, _options.DeadLetterSource, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception storeFailure) when (storeFailure is not OutOfMemoryException)
        {
            WriteDeadLetters(batch, 0, reason + " (the state store could not tell which records were applied: " + storeFailure.Message + ")");
        }

        await _deadLetters.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private async ValueTask DeadLetterAsync(InvocationBatch batch, int from, string reason)
    {
        WriteDeadLetters(batch, from, reason);

        // CancellationToken.None: these records exist nowhere else once the trigger checkpoints; an invocation being
        // cancelled is exactly when they must still reach durable storage.
        await _deadLetters.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private void WriteDeadLetters(InvocationBatch batch, int from, string reason)
    {
        var names = batch.PartitionNames;
        for (var i = from; i < batch.Count; i++)
        {
            var record = batch[i];
            var fits = Utf8Parser.TryParse(record.Sequence, out long position, out var consumed) && consumed == record.Sequence.Length;
            _deadLetters.Write(new DeadLetter(_options.DeadLetterSource, names[record.Partition], fits ? position : -1, reason, record.Value, record.Key, record.Timestamp)
            {
                Sequence = fits ? null : Encoding.ASCII.GetString(record.Sequence),
            });
        }
    }

    /// <summary>A pooled scratch buffer of at least <paramref name="length"/> bytes, reused across records and invocations.</summary>
    private Span<byte> Scratch(int length)
    {
        if (_scratch.Length < length)
        {
            if (_scratch.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_scratch);
            }

            _scratch = ArrayPool<byte>.Shared.Rent(Math.Max(length, 4096));
        }

        return _scratch.AsSpan(0, length);
    }
}
