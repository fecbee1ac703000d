using System.Text;

namespace StreamKit.Hosting.AzureFunctions;

/// <content>The Event Hubs trigger's batch: bodies plus the binding data <c>PartitionContext</c>, <c>SequenceNumberArray</c> and <c>EnqueuedTimeUtcArray</c>.</content>
public sealed partial class AzureFunctionsRunner<T>
{
    /// <summary>Runs an Event Hubs trigger batch bound as byte arrays (<c>byte[][] events</c>).</summary>
    /// <param name="partitionId">The batch's partition (<c>PartitionContext.PartitionId</c>): the state is kept per partition under this name.</param>
    /// <param name="bodies">The event bodies.</param>
    /// <param name="sequenceNumbers">The binding data <c>SequenceNumberArray</c>, one per event: the replay-dedup key.</param>
    /// <param name="enqueuedTimesUtc">The binding data <c>EnqueuedTimeUtcArray</c>, one per event: the record timestamp (event time when <see cref="Runtime.InvocationOptions.UseSourceTimestamps"/> is set).</param>
    /// <param name="finalAttempt"><see langword="false"/> when the host will retry this batch after a failure; see <see cref="RunAsync"/>.</param>
    /// <param name="cancellationToken">Cancels loading and the checkpoint.</param>
    /// <remarks>The offsets (<c>OffsetArray</c>) are not needed: sequence numbers order a partition and, unlike offsets, are numbers on every tier.</remarks>
    /// <exception cref="ArgumentException">The metadata arrays are not as long as <paramref name="bodies"/>.</exception>
    public ValueTask<FunctionBatchResult> RunEventHubsAsync(string partitionId, byte[][] bodies, long[] sequenceNumbers, DateTime[] enqueuedTimesUtc, bool finalAttempt = true, CancellationToken cancellationToken = default)
    {
        FillEventHubs(partitionId, bodies, sequenceNumbers, enqueuedTimesUtc);
        return RunAsync(_batch, finalAttempt, cancellationToken);
    }

    /// <summary>Runs an Event Hubs trigger batch bound as memory (<c>ReadOnlyMemory&lt;byte&gt;[] events</c>, or <c>EventData.Body</c> of each event).</summary>
    /// <inheritdoc cref="RunEventHubsAsync(string, byte[][], long[], DateTime[], bool, CancellationToken)"/>
    public ValueTask<FunctionBatchResult> RunEventHubsAsync(string partitionId, ReadOnlyMemory<byte>[] bodies, long[] sequenceNumbers, DateTime[] enqueuedTimesUtc, bool finalAttempt = true, CancellationToken cancellationToken = default)
    {
        FillEventHubs(partitionId, bodies, sequenceNumbers, enqueuedTimesUtc);
        return RunAsync(_batch, finalAttempt, cancellationToken);
    }

    /// <summary>Runs an Event Hubs trigger batch bound as strings (<c>string[] events</c>); each body is encoded as UTF-8.</summary>
    /// <inheritdoc cref="RunEventHubsAsync(string, byte[][], long[], DateTime[], bool, CancellationToken)"/>
    public ValueTask<FunctionBatchResult> RunEventHubsAsync(string partitionId, string[] bodies, long[] sequenceNumbers, DateTime[] enqueuedTimesUtc, bool finalAttempt = true, CancellationToken cancellationToken = default)
    {
        FillEventHubs(partitionId, bodies, sequenceNumbers, enqueuedTimesUtc);
        return RunAsync(_batch, finalAttempt, cancellationToken);
    }

    /// <summary>Fills the runner's batch; allocates nothing once the partition's name has been seen.</summary>
    internal void FillEventHubs(string partitionId, byte[][] bodies, long[] sequenceNumbers, DateTime[] enqueuedTimesUtc)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        var partition = BeginEventHubs(partitionId, bodies.Length, sequenceNumbers, enqueuedTimesUtc);
        for (var i = 0; i < bodies.Length; i++)
        {
            _batch.Add(partition, sequenceNumbers[i], bodies[i], default, UnixMilliseconds(enqueuedTimesUtc[i]));
        }
    }

    /// <inheritdoc cref="FillEventHubs(string, byte[][], long[], DateTime[])"/>
    internal void FillEventHubs(string partitionId, ReadOnlyMemory<byte>[] bodies, long[] sequenceNumbers, DateTime[] enqueuedTimesUtc)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        var partition = BeginEventHubs(partitionId, bodies.Length, sequenceNumbers, enqueuedTimesUtc);
        for (var i = 0; i < bodies.Length; i++)
        {
            _batch.Add(partition, sequenceNumbers[i], bodies[i].Span, default, UnixMilliseconds(enqueuedTimesUtc[i]));
        }
    }

    /// <inheritdoc cref="FillEventHubs(string, byte[][], long[], DateTime[])"/>
    internal void FillEventHubs(string partitionId, string[] bodies, long[] sequenceNumbers, DateTime[] enqueuedTimesUtc)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        var partition = BeginEventHubs(partitionId, bodies.Length, sequenceNumbers, enqueuedTimesUtc);
        for (var i = 0; i < bodies.Length; i++)
        {
            var body = bodies[i] ?? "";
            var utf8 = Scratch(Encoding.UTF8.GetMaxByteCount(body.Length));
            var length = Encoding.UTF8.GetBytes(body, utf8);
            _batch.Add(partition, sequenceNumbers[i], utf8[..length], default, UnixMilliseconds(enqueuedTimesUtc[i]));
        }
    }

    /// <summary>Trigger bindings give <see cref="DateTimeKind.Utc"/> times; an unspecified kind is read as UTC too.</summary>
    internal static long UnixMilliseconds(DateTime time)
    {
        var utc = time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);
        return (utc.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;
    }

    private int BeginEventHubs(string partitionId, int count, long[] sequenceNumbers, DateTime[] enqueuedTimesUtc)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionId);
        ArgumentNullException.ThrowIfNull(sequenceNumbers);
        ArgumentNullException.ThrowIfNull(enqueuedTimesUtc);
        if (sequenceNumbers.Length != count || enqueuedTimesUtc.Length != count)
        {
            throw new ArgumentException($"The trigger bound {count} events but {sequenceNumbers.Length} sequence numbers and {enqueuedTimesUtc.Length} enqueued times.", nameof(sequenceNumbers));
        }

        _batch.Clear();
        return _batch.Partition(partitionId);
    }
}
