using System.Diagnostics;
using System.Runtime.ExceptionServices;
using Confluent.Kafka;
using StreamKit.Diagnostics;
using StreamKit.Kafka.Internal;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Kafka;

/// <summary>
/// Reads Kafka topics into a pipeline: a consume loop on its own thread fills a bounded buffer per assigned partition,
/// and <see cref="ReadAsync"/> hands the runner one partition's messages at a time, round-robin.
/// </summary>
/// <remarks>
/// <para>A batch holds messages of one partition, named <c>topic-partition</c>; a record's position is its offset,
/// its timestamp the message timestamp (epoch milliseconds), its key the message key, and its headers the message
/// headers when <see cref="KafkaSourceOptions.IncludeHeaders"/> is on.</para>
/// <para>Backpressure: a partition whose buffer reaches <see cref="KafkaSourceOptions.MaxBufferedMessagesPerPartition"/>
/// is paused and resumed once half of it is drained; librdkafka then fetches again from the next offset.</para>
/// <para>Offsets: auto-commit is off. <see cref="CommitAsync"/> commits <c>position + 1</c> (the next offset to
/// read, as Kafka defines a committed offset) for the partitions still assigned, after the runner's checkpoint.
/// <see cref="SeekAsync"/> makes a partition start at <c>checkpoint position + 1</c>, or at the group's committed
/// offset where that is further on (another instance processed the partition since).</para>
/// <para>Rebalances: messages buffered for a revoked partition are dropped; its new owner reads them again from the
/// committed offset (at-least-once). A partition assigned back to this instance continues after the last offset it
/// handed to the pipeline, so one instance never applies a message twice.</para>
/// <para>Watermarks: a bounded source with <see cref="KafkaAssignment.AllPartitions"/> lists every partition in
/// <see cref="Partitions"/>, so the runner holds the watermark until each has sent data or ended, and it hands on one
/// batch with <see cref="RawRecordBatch.EndOfPartition"/> per partition when that partition is read to its end offset
/// (an empty batch for an empty partition). Partitions then may hold any time ranges: none of their events is late
/// because another partition was read first. Otherwise (a consumer group, or unbounded) partitions are not known
/// before they are assigned, and the source primes instead: after an assignment, until every assigned partition has
/// been heard from (a message, or its end) or five seconds have passed, batches carry one message each, unheard
/// partitions first. That only protects partitions whose first messages are within the pipeline's allowed
/// out-of-orderness of each other (see docs/kafka.md).</para>
/// <para><see cref="ReadAsync"/>, <see cref="SeekAsync"/> and <see cref="CommitAsync"/> are called by one thread at a
/// time (the runner's). Steady-state reading allocates nothing in StreamKit; Confluent.Kafka allocates a small
/// result object per message.</para>
/// </remarks>
public sealed partial class KafkaSource : IRecordSource, ITraceContextSource
{
    private readonly KafkaSourceOptions _options;
    private readonly IConsumer<Staged, Staged> _consumer;
    private readonly StagingDeserializer _staging = new();
    private byte[] _headerScratch = []; // the consume thread's, for encoding a message's headers
    private readonly ChunkPool _pool = new();
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<string, PartitionBuffer?[]> _byTopic = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PartitionBuffer> _byName = new(StringComparer.Ordinal);
    private readonly List<PartitionBuffer> _active = [];
    private readonly List<ActivityContext> _batchContexts = [];
    private readonly Dictionary<string, long> _resume = new(StringComparer.Ordinal);
    private readonly string? _onlyTopic;
    private readonly int _resumeBelow;
    private readonly bool _listsPartitions;
    private readonly Lock _metadataGate = new();
    private List<TopicPartition>? _allPartitions;
    private string[]? _partitionNames;
    private Thread? _thread;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _stopping;
    private bool _loopExited;
    private bool _readerWaiting;
    private bool _assignedOnce;
    private bool _disposed;
    private int _cursor;
    private long _pauses;
    private int _sinceWake;
    private long _primingUntil; // Environment.TickCount64; 0 when not priming

    /// <summary>Creates the source and its consumer; nothing is read before the first <see cref="ReadAsync"/>.</summary>
    /// <exception cref="ArgumentException">A required setting is missing, or <see cref="KafkaSourceOptions.Config"/> contradicts one StreamKit relies on.</exception>
    public KafkaSource(KafkaSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _onlyTopic = options.Topics.Count == 1 ? options.Topics[0] : null;
        _resumeBelow = options.MaxBufferedMessagesPerPartition / 2;
        _listsPartitions = options.Bounded && options.Assignment == KafkaAssignment.AllPartitions;
        Name = "kafka:" + string.Join(',', options.Topics);

        var fields = "timestamp";
        if (_onlyTopic is null)
        {
            fields += ",topic"; // with one topic the name is known: not marshalling it saves a string per message
        }

        if (options.IncludeHeaders || options.ReadTraceContext)
        {
            fields += ",headers";
        }

        var config = KafkaConfig.Build(
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["bootstrap.servers"] = options.BootstrapServers,
                ["group.id"] = options.GroupId,
                ["auto.offset.reset"] = options.AutoOffsetReset.ToString().ToLowerInvariant(),
                ["enable.partition.eof"] = "true", // bounded partitions end on it (empty ones, trailing transaction markers)

                // A resumed partition is fetched only when the broker answers the fetch in flight, which it may hold
                // for fetch.wait.max.ms when the broker's other partitions are idle: librdkafka's 500 ms default made
                // every pause cost up to half a second (measured on the mock broker). 50 ms keeps resumes quick for
                // 20 idle fetches a second per broker.
                ["fetch.wait.max.ms"] = "50",
            },
            options.Config,
            new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["enable.auto.commit"] = "false",
                ["enable.auto.offset.store"] = "false",
                [ConfigPropertyNames.Consumer.ConsumeResultFields] = fields,
            });

        var builder = new ConsumerBuilder<Staged, Staged>(config)
            .SetKeyDeserializer(_staging)
            .SetValueDeserializer(_staging)
            .SetErrorHandler((_, error) => OnClientError(error));
        if (options.Assignment == KafkaAssignment.ConsumerGroup)
        {
            builder
                .SetPartitionsAssignedHandler((_, partitions) => OnAssigned(partitions))
                .SetPartitionsRevokedHandler((_, partitions) => OnRevoked(partitions))
                .SetPartitionsLostHandler((_, partitions) => OnRevoked(partitions));
        }

        _consumer = builder.Build();
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>The settings this source was created with.</summary>
    public KafkaSourceOptions Options => _options;

    /// <summary>How many times a partition was paused because the pipeline fell behind (its buffer was full).</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>Messages buffered between the consume thread and the pipeline, over all partitions.</summary>
    public int Buffered
    {
        get
        {
            lock (_gate)
            {
                var count = 0;
                foreach (var partition in _active)
                {
                    count += partition.Count;
                }

                return count;
            }
        }
    }

    /// <summary>The partitions currently assigned to this source, as <c>topic-partition</c> names (a copy).</summary>
    public IReadOnlyList<string> AssignedPartitions
    {
        get
        {
            lock (_gate)
            {
                var names = new string[_active.Count];
                for (var i = 0; i < names.Length; i++)
                {
                    names[i] = _active[i].Name;
                }

                return names;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// <para>Bounded with <see cref="KafkaAssignment.AllPartitions"/>: every partition of the topics, as <c>topic-partition</c>,
    /// known from the brokers' metadata before anything is read. The first call fetches that metadata synchronously
    /// (waiting up to <see cref="KafkaSourceOptions.RequestTimeout"/> for a topic to appear); the runner makes it right
    /// after restoring, before its first <see cref="ReadAsync"/>.</para>
    /// <para>Otherwise empty: a consumer group's partitions are known only once assigned, and an unbounded partition never
    /// ends, so listing one that has nothing to read would hold the watermark back for good.</para>
    /// </remarks>
    /// <exception cref="KafkaException">A topic was not found within the request timeout.</exception>
    public IReadOnlyList<string> Partitions
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_listsPartitions)
            {
                return [];
            }

            if (_partitionNames is null)
            {
                var all = AllTopicPartitions();
                lock (_gate)
                {
                    var names = new string[all.Count];
                    for (var i = 0; i < names.Length; i++)
                    {
                        names[i] = GetOrAdd(all[i]).Name; // the instances batches carry
                    }

                    _partitionNames = names;
                }
            }

            return _partitionNames;
        }
    }

    /// <inheritdoc />
    /// <remarks>Call before the first <see cref="ReadAsync"/> (the runner does, on restore). Positions of partitions not assigned now are kept for when they are.</remarks>
    /// <exception cref="InvalidOperationException">Reading has already started.</exception>
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_thread is not null)
        {
            throw new InvalidOperationException("SeekAsync must be called before the first ReadAsync.");
        }

        foreach (var (name, position) in positions)
        {
            _resume[name] = position;
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="KafkaException">The consumer failed fatally (the exception it failed with is rethrown).</exception>
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(_disposed, this);
        EnsureStarted();
        while (true)
        {
            lock (_gate)
            {
                _failure?.Throw();
                _batchContexts.Clear();
                if (TryMoveLocked(batch))
                {
                    return true;
                }

                if (_options.Bounded && IsFinishedLocked())
                {
                    return false;
                }

                if (_loopExited)
                {
                    throw new InvalidOperationException("The Kafka consume loop has stopped.");
                }

                _readerWaiting = true;
            }

            if (!await _signal.WaitAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    _readerWaiting = false;
                }

                return true; // nothing within the poll interval: an empty batch lets the runner close windows of idle partitions
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Empty unless <see cref="KafkaSourceOptions.ReadTraceContext"/> is on and a tracer listens.</remarks>
    public void CopyTraceContexts(List<ActivityContext> contexts)
    {
        ArgumentNullException.ThrowIfNull(contexts);
        lock (_gate)
        {
            contexts.AddRange(_batchContexts);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Commits <c>position + 1</c> for each listed partition this source still has assigned, synchronously. A commit
    /// refused because the group is rebalancing is reported to <see cref="KafkaSourceOptions.OnError"/> and skipped: the
    /// partition's next owner replays from the previous commit. With a <see cref="KafkaSourceOptions.TransactionalProducer"/>
    /// the offsets are sent in its transaction, which is then committed.
    /// </remarks>
    public async ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        ObjectDisposedException.ThrowIf(_disposed, this);
        var offsets = new List<TopicPartitionOffset>(positions.Count);
        lock (_gate)
        {
            if (_thread is null || _loopExited)
            {
                return;
            }

            foreach (var (name, position) in positions)
            {
                if (position >= 0 && _byName.TryGetValue(name, out var partition) && partition.Assigned)
                {
                    offsets.Add(new TopicPartitionOffset(partition.TopicPartition, new Offset(position + 1)));
                }
            }
        }

        if (_options.TransactionalProducer is { } producer)
        {
            await producer.CommitTransactionAsync(offsets, _consumer.ConsumerGroupMetadata, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (offsets.Count == 0)
        {
            return;
        }

        try
        {
            _consumer.Commit(offsets);
        }
        catch (KafkaException e) when (IsRebalanceError(e.Error.Code))
        {
            _options.OnError?.Invoke(e.Error);
        }
    }

    /// <summary>Stops the consume loop, leaves the group (closing the consumer) and releases buffers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (_thread is null)
        {
            _consumer.Dispose();
        }
        else
        {
            _stopping = true;
            await _exited.Task.ConfigureAwait(false);
        }

        _signal.Dispose();
    }

    private void EnsureStarted()
    {
        if (_thread is not null)
        {
            return;
        }

        _thread = new Thread(ConsumeLoop) { IsBackground = true, Name = "StreamKit " + Name };
        _thread.Start();
    }

    private bool TryMoveLocked(RawRecordBatch batch)
    {
        if (IsPrimingLocked())
        {
            // Until every assigned partition has been heard from, hand on one message at a time, unheard partitions
            // first. The runner's watermark is the minimum over the partitions it has seen: a first batch of 1,000
            // messages from one partition would move event time past the first messages of partitions it has not
            // seen yet, and the windows would drop those as late. One message each lets every partition check in
            // near the start of its own event time.
            foreach (var partition in _active)
            {
                if (!partition.Primed && partition.Count > 0)
                {
                    MoveLocked(partition, batch, limit: 1, _batchContexts);
                    return true;
                }
            }

            return false; // wait for the others, at most until the priming deadline
        }

        var count = _active.Count;
        for (var i = 1; i <= count; i++)
        {
            var index = (_cursor + i) % count;
            var partition = _active[index];
            if (partition.Count > 0 || (partition.Done && !partition.Ended))
            {
                _cursor = index;
                MoveLocked(partition, batch, int.MaxValue, _batchContexts);
                return true;
            }
        }

        return false;
    }

    private void MoveLocked(PartitionBuffer partition, RawRecordBatch batch, int limit, List<ActivityContext>? contexts)
    {
        batch.Partition = partition.Name;
        var last = partition.MoveTo(batch, _pool, limit);
        if (last >= 0)
        {
            partition.LastDelivered = last;
            partition.TakeTraceContexts(last, contexts);
            if (StreamKitMetrics.IsConsumerLagEnabled)
            {
                ReportLag(partition, last);
            }
        }

        partition.Primed = true;
        if (partition.Done && partition.Count == 0 && !partition.Ended)
        {
            // Read to its end offset: the runner stops waiting for it (with the last messages, or in an empty batch).
            batch.EndOfPartition = true;
            partition.Ended = true;
        }

        if (partition.Paused && !partition.Done && partition.Count <= _resumeBelow)
        {
            // Resumed from this thread, not the consume thread, so a drained partition starts fetching at once
            // instead of after the consume thread's next poll timeout; librdkafka's pause/resume are thread-safe and
            // holding the lock keeps the Paused flag in step with librdkafka.
            SetPausedLocked(partition, false);
        }
    }

    /// <summary>Consumer lag = the partition's high watermark (cached by librdkafka from fetch responses, no request) minus the next offset to hand on.</summary>
    private void ReportLag(PartitionBuffer partition, long last)
    {
        var high = _consumer.GetWatermarkOffsets(partition.TopicPartition).High;
        if (high != Offset.Unset)
        {
            StreamKitMetrics.RecordConsumerLag(Name, partition.Name, high.Value - (last + 1));
        }
    }

    private bool IsPrimingLocked()
    {
        if (_primingUntil == 0)
        {
            return false;
        }

        if (Environment.TickCount64 < _primingUntil)
        {
            foreach (var partition in _active)
            {
                if (!partition.Primed && !(partition.Done && partition.Count == 0))
                {
                    return true;
                }
            }
        }

        _primingUntil = 0;
        return false;
    }

    private bool IsFinishedLocked()
    {
        if (!_assignedOnce)
        {
            return false;
        }

        foreach (var partition in _active)
        {
            if (!partition.Ended)
            {
                return false;
            }
        }

        return true;
    }

    private void SetPausedLocked(PartitionBuffer partition, bool paused)
    {
        try
        {
            if (paused)
            {
                _consumer.Pause(partition.Alone);
            }
            else
            {
                _consumer.Resume(partition.Alone);
            }

            partition.Paused = paused;
        }
        catch (KafkaException e)
        {
            // The partition is being revoked: the rebalance settles its state.
            _options.OnError?.Invoke(e.Error);
        }
    }

    private void WakeReaderLocked()
    {
        _sinceWake = 0;
        if (_partitionReadersWaiting > 0)
        {
            WakePartitionReadersLocked();
        }

        if (_readerWaiting)
        {
            _readerWaiting = false;
            _signal.Release();
        }
    }

    private static bool IsRebalanceError(ErrorCode code) => code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration
        or ErrorCode.UnknownMemberId or ErrorCode.Local_State or ErrorCode.Local_AssignmentLost;
}
