using System.Text;
using Azure.Messaging.EventHubs;

namespace StreamKit.Hosting.AzureFunctions;

/// <content>The Event Hubs trigger's batch: bodies plus the binding data <c>PartitionContext</c>, <c>SequenceNumberArray</c> and <c>EnqueuedTimeUtcArray</c>.</content>
public sealed partial class AzureFunctionsRunner<T>
{
    /// <summary>Runs an Event Hubs trigger batch bound as byte arrays (<c>byte[][] events</c>).</summary>
    /// <param name="partitionId">The batch's partition (<c>PartitionContext.PartitionId</c>): the state is kept per partition under this name.</param>
    /// <param name="bodies">The event bodies.</param>
    /// <param name="sequenceNumbers">The binding data <c>SequenceNumberArray</c>, one per event: the replay-dedup key.</param>
    /// <param name="enqueuedTimesUtc">The binding data <c>EnqueuedTimeUtcArray</c>, one per event: the record timestamp (event time when <see cref="Runtime.InvocationRunnerOptions.UseSourceTimestamps"/> is set).</param>
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

    /// <summary>Runs an Event Hubs trigger batch bound as the isolated worker's <see cref="EventData"/> type (<c>EventData[] events</c>).</summary>
    /// <param name="partitionId">The batch's partition (binding data <c>PartitionContext</c>, its <c>PartitionId</c>): an <see cref="EventData"/> does not carry it.</param>
    /// <param name="events">The events as received: <see cref="EventData.SequenceNumber"/> is the replay-dedup key, <see cref="EventData.EnqueuedTime"/> the record timestamp, <see cref="EventData.PartitionKey"/> (UTF-8) the record key, <see cref="EventData.EventBody"/> the value.</param>
    /// <param name="finalAttempt"><see langword="false"/> when the host will retry this batch after a failure; see <see cref="RunAsync"/>.</param>
    /// <param name="cancellationToken">Cancels loading and the checkpoint.</param>
    /// <remarks>
    /// <para>The system properties the trigger sets are read from the event's typed properties, so no binding-data
    /// arrays are needed. <see cref="EventData.OffsetString"/> is not used: sequence numbers order a partition and,
    /// unlike offsets, are numbers on every tier. Application properties (<see cref="EventData.Properties"/>) are not
    /// carried into the record; a decoder that needs them is not served by this overload.</para>
    /// <para>Events built by the application rather than received (<see cref="EventData.SequenceNumber"/> left at
    /// <see cref="long.MinValue"/>) cannot be deduplicated: the call throws before anything runs.</para>
    /// <para>Allocation: <see cref="EventData.EventBody"/> builds a <see cref="BinaryData"/> (40 B) on every read and
    /// there is no cheaper public way to the body; apart from that the batch is filled without allocating once warm.
    /// The worker allocates each <see cref="EventData"/> of the batch anyway; where that matters, bind
    /// <c>byte[][]</c> with the binding-data arrays instead.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">An event has no sequence number, or an element of <paramref name="events"/> is <see langword="null"/>.</exception>
    public ValueTask<FunctionBatchResult> RunEventHubsAsync(string partitionId, EventData[] events, bool finalAttempt = true, CancellationToken cancellationToken = default)
    {
        FillEventHubs(partitionId, events);
        return RunAsync(_batch, finalAttempt, cancellationToken);
    }

    /// <inheritdoc cref="FillEventHubs(string, byte[][], long[], DateTime[])"/>
    internal void FillEventHubs(string partitionId, EventData[] events)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionId);
        ArgumentNullException.ThrowIfNull(events);
        for (var i = 0; i < events.Length; i++)
        {
            if (events[i] is not { } data || data.SequenceNumber == long.MinValue)
            {
                throw new ArgumentException($"Event {i} of the batch is null or has no sequence number (it was not received from Event Hubs).", nameof(events));
            }
        }

        _batch.Clear();
        var partition = _batch.Partition(partitionId);
        foreach (var data in events)
        {
            var key = data.PartitionKey is { Length: > 0 } partitionKey ? Utf8(partitionKey) : default;
            _batch.Add(partition, data.SequenceNumber, data.EventBody.ToMemory().Span, key, data.EnqueuedTime.ToUnixTimeMilliseconds());
        }
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
            _batch.Add(partition, sequenceNumbers[i], Utf8(bodies[i] ?? ""), default, UnixMilliseconds(enqueuedTimesUtc[i]));
        }
    }

    /// <summary><paramref name="text"/> encoded into the scratch buffer, valid until the next call.</summary>
    private Span<byte> Utf8(string text)
    {
        var utf8 = Scratch(Encoding.UTF8.GetMaxByteCount(text.Length));
        return utf8[..Encoding.UTF8.GetBytes(text, utf8)];
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
