using System.Buffers;
using System.Diagnostics;
using StreamKit.Diagnostics;
using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>
/// Runs one pipeline per partition over function invocations (AWS Lambda, Azure Functions): one invocation = one batch.
/// Loads each partition's state (kept in memory while the instance is warm, checked against the store's version),
/// processes the records not applied before, flushes the sinks, and saves the state with the last applied sequence
/// number.
/// </summary>
/// <remarks>
/// <para>A batch delivered again (a retry after a failure or timeout, a bisected batch, a duplicate) is recognised by
/// its sequence numbers and never counted twice: the state and its last applied sequence number are saved together,
/// conditionally on the version loaded, so two instances racing on one partition cannot both win.</para>
/// <para>Window results are flushed to the sinks before the state is saved: a failure between the two replays the
/// batch and writes those results again (at-least-once output) unless the sink is transactional.</para>
/// <para>An exception (a sink, the store, a state conflict) fails the whole invocation and drops the in-memory state of
/// the partitions it touched; the next invocation reloads them from the store. Not thread-safe: one invocation at a
/// time per runner, which is how both platforms call a handler instance.</para>
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed class InvocationRunner<T>
    where T : struct
{
    private const int ChunkSize = 1024;
    private const string SourceName = "invocation";
    private readonly Func<PipelineInstance<T>> _create;
    private readonly IDeadLetterSink _deadLetters;
    private readonly InvocationRunnerOptions _options;
    private readonly IStateStore _store;
    private readonly RecordProcessor<T> _processor;
    private readonly Dictionary<string, CheckpointedPipeline<T>> _partitions = [];
    private readonly List<CheckpointedPipeline<T>> _touched = [];
    private readonly ArrayBufferWriter<byte> _snapshot = new();
    private CheckpointedPipeline<T>?[] _byBatchIndex = [];
    private string? _keyPrefix;

    /// <summary>Creates a runner.</summary>
    /// <param name="create">Builds a fresh pipeline and its decoder; called once per partition per process (and again after a failure or another instance's save), so the pipeline is reused across warm invocations.</param>
    /// <param name="deadLetters">Where records that cannot be decoded go; flushed before state is saved.</param>
    /// <param name="options">The state store and the time budget.</param>
    public InvocationRunner(Func<PipelineInstance<T>> create, IDeadLetterSink deadLetters, InvocationRunnerOptions options)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(options);
        _store = options.StateStore ?? throw new ArgumentException("InvocationRunnerOptions.StateStore is required: state must outlive the instance.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DeadlineMargin, TimeSpan.Zero);
        _create = create;
        _deadLetters = deadLetters;
        _options = options;
        _processor = new RecordProcessor<T>(deadLetters, SourceName, options.UseSourceTimestamps);
    }

    /// <summary>Processes <paramref name="batch"/> and checkpoints every partition it touched.</summary>
    /// <param name="batch">The invocation's records, in delivery order.</param>
    /// <param name="deadline">When the platform will stop the invocation; records are taken until <see cref="InvocationRunnerOptions.DeadlineMargin"/> before it.</param>
    /// <param name="cancellationToken">Cancels loading and the checkpoint (the invocation then fails as a whole).</param>
    /// <returns>How many records were taken; report the others as failed.</returns>
    public async ValueTask<InvocationResult> RunAsync(InvocationBatch batch, DateTimeOffset deadline, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        _touched.Clear();
        try
        {
            await LoadAsync(batch, cancellationToken).ConfigureAwait(false);
            var result = Process(batch, deadline - _options.DeadlineMargin);
            await CheckpointAsync(cancellationToken).ConfigureAwait(false);
            return result;
        }
        catch
        {
            Forget();
            throw;
        }
    }

    /// <summary>Closes every open window of <paramref name="partition"/> (its stream has ended) and checkpoints it.</summary>
    /// <remarks>Later records of the partition are late. Use it at the end of a backfill or when a shard is closed after a reshard.</remarks>
    public async ValueTask CompleteAsync(string partition, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(partition);
        _touched.Clear();
        try
        {
            var state = await GetAsync(partition, cancellationToken).ConfigureAwait(false);
            state.Pipeline.Complete();
            await CheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            Forget();
            throw;
        }
    }

    /// <summary>
    /// Writes to <paramref name="deadLetters"/> every record of <paramref name="batch"/> from <paramref name="from"/> on that
    /// the stored state does not hold, for platforms that move past a batch even when the function fails (Azure Functions).
    /// </summary>
    /// <remarks>
    /// Reads each partition's last applied sequence number from the store (not the in-memory state, which a failed
    /// invocation drops), so records an earlier invocation already counted are not dead-lettered again. Does not flush
    /// <paramref name="deadLetters"/>. Throws what the store throws: a caller that must not lose records then writes them
    /// all.
    /// </remarks>
    /// <param name="batch">The invocation's batch.</param>
    /// <param name="from">The first record to consider: 0 after a failure, <see cref="InvocationResult.Taken"/> after a deadline.</param>
    /// <param name="reason">The dead letters' reason.</param>
    /// <param name="deadLetters">Where they go.</param>
    /// <param name="source">The dead letters' source name.</param>
    /// <param name="cancellationToken">Cancels the store reads.</param>
    /// <returns>How many records were written.</returns>
    public async ValueTask<int> DeadLetterUnappliedAsync(InvocationBatch batch, int from, string reason, IDeadLetterSink deadLetters, string source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        ArgumentException.ThrowIfNullOrEmpty(source);
        var names = batch.PartitionNames;
        var applied = new StreamPosition?[names.Count];
        for (var i = from; i < batch.Count; i++)
        {
            var partition = batch.PartitionAt(i);
            applied[partition] ??= await LoadAppliedAsync(names[partition], cancellationToken).ConfigureAwait(false);
        }

        var records = new InvocationRecords(batch);
        var written = 0;
        for (var i = from; i < batch.Count; i++)
        {
            var partition = batch.PartitionAt(i);
            if (records.IsAfter(i, applied[partition]!.Value))
            {
                var record = batch[i];
                var position = records.PositionAt(i);
                deadLetters.Write(new DeadLetter(source, names[partition], position.ToInt64(), reason, record.Value, record.Key, record.Timestamp)
                {
                    Sequence = position.ToLargeString(),
                });
                written++;
            }
        }

        return written;
    }

    private async ValueTask<StreamPosition> LoadAppliedAsync(string partition, CancellationToken cancellationToken)
    {
        _keyPrefix ??= _options.StateKeyPrefix ?? _create().Pipeline.Name + "/";
        var key = _keyPrefix + partition;
        return await _store.LoadAsync(key, cancellationToken).ConfigureAwait(false) is { } stored
            ? CheckpointedPipeline<T>.ReadInvocationPosition(stored.Data.Span, key)
            : StreamPosition.None;
    }

    private async ValueTask LoadAsync(InvocationBatch batch, CancellationToken cancellationToken)
    {
        var names = batch.PartitionNames;
        if (_byBatchIndex.Length < names.Count)
        {
            _byBatchIndex = new CheckpointedPipeline<T>?[names.Count];
        }

        Array.Clear(_byBatchIndex);
        for (var i = 0; i < batch.Count; i++)
        {
            var partition = batch.PartitionAt(i);
            _byBatchIndex[partition] ??= await GetAsync(names[partition], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The partition's pipeline: the warm one if the store still holds the version it saved, else loaded.</summary>
    private async ValueTask<CheckpointedPipeline<T>> GetAsync(string partition, CancellationToken cancellationToken)
    {
        if (_partitions.TryGetValue(partition, out var warm))
        {
            if (warm.Version == await _store.GetVersionAsync(warm.Key, cancellationToken).ConfigureAwait(false))
            {
                _touched.Add(warm);
                return warm;
            }

            _partitions.Remove(partition);
        }

        var (pipeline, decoder) = _create();
        if (!_options.UseSourceTimestamps && !pipeline.HasEventTimeSelector)
        {
            throw new InvalidOperationException("The pipeline has no event-time selector; set InvocationRunnerOptions.UseSourceTimestamps.");
        }

        _keyPrefix ??= _options.StateKeyPrefix ?? pipeline.Name + "/";
        var state = new CheckpointedPipeline<T>(pipeline, decoder, _keyPrefix + partition, SnapshotKind.InvocationPartition);
        var index = state.PartitionOf(partition);
        await state.LoadAsync(_store, cancellationToken).ConfigureAwait(false);
        pipeline.RegisterPartition(index);
        _partitions.Add(partition, state);
        _touched.Add(state);
        return state;
    }

    private InvocationResult Process(InvocationBatch batch, DateTimeOffset stopTaking)
    {
        var time = _options.TimeProvider;
        var records = new InvocationRecords(batch);
        var counts = default(RecordCounts);
        var index = 0;
        while (index < batch.Count && time.GetUtcNow() < stopTaking)
        {
            // One chunk: consecutive records of one partition, processed together.
            var partitionIndex = batch.PartitionAt(index);
            var state = _byBatchIndex[partitionIndex]!;
            var end = index + 1;
            while (end < batch.Count && end - index < ChunkSize && batch.PartitionAt(end) == partitionIndex)
            {
                end++;
            }

            using var activity = StreamKitActivities.Source.HasListeners() ? StartChunkActivity(state) : null;
            _processor.Process(ref records, index, end, state, 0, ref counts);
            index = end;
        }

        return new InvocationResult(index, (int)counts.Processed, (int)counts.Skipped, (int)counts.DeadLettered);
    }

    private static Activity? StartChunkActivity(CheckpointedPipeline<T> state) =>
        StreamKitActivities.Source.StartActivity(StreamKitActivities.BatchActivityName, ActivityKind.Consumer)?
            .SetTag(StreamKitMetrics.PipelineTag, state.Pipeline.Name)
            .SetTag(StreamKitActivities.PartitionTag, state.PartitionNames[0]);

    private async ValueTask CheckpointAsync(CancellationToken cancellationToken)
    {
        using var activity = StreamKitActivities.Source.StartActivity(StreamKitActivities.CheckpointActivityName);
        var started = Stopwatch.GetTimestamp();
        await Checkpoint.RunAsync(_touched, _deadLetters, _store, _snapshot, source: null, positions: null, cancellationToken).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        foreach (var state in _touched)
        {
            StreamKitMetrics.CheckpointDuration.Record(elapsed, state.Tags);
        }
    }

    private void Forget()
    {
        foreach (var state in _touched)
        {
            _partitions.Remove(state.PartitionNames[0]);
        }

        _touched.Clear();
    }
}
