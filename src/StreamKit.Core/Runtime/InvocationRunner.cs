using System.Buffers;
using System.Diagnostics;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Diagnostics;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>How an <see cref="InvocationRunner{T}"/> keeps state and budgets an invocation's time.</summary>
public sealed class InvocationOptions
{
    /// <summary>Where each partition's state and last applied sequence number live between invocations; required.</summary>
    /// <remarks>A function instance's memory does not outlive it: use a durable store (S3, Blob, a mounted directory).</remarks>
    public IStateStore? StateStore { get; set; }

    /// <summary>Prefix of the state keys; the partition name (shard id, topic-partition) follows it.</summary>
    /// <value>Defaults to the pipeline's name and a slash.</value>
    public string? StateKeyPrefix { get; set; }

    /// <summary>Take event time from the platform's record timestamps (Kinesis arrival, enqueue time) instead of the pipeline's event-time selector.</summary>
    public bool UseSourceTimestamps { get; set; }

    /// <summary>Time kept back before the invocation's deadline for the checkpoint (flush, state save).</summary>
    /// <remarks>
    /// Records still untaken when less than this remains are reported as not processed so the platform delivers them
    /// again. Raise it for large state or slow sinks: a checkpoint cut off by the platform's timeout makes the whole
    /// batch fail and be retried.
    /// </remarks>
    /// <value>Defaults to 2 seconds.</value>
    public TimeSpan DeadlineMargin { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The clock the deadline is compared with; replace it in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;
}

/// <summary>A pipeline and the decoder that feeds it, built together because a decoder may intern keys into state the pipeline checkpoints.</summary>
/// <param name="Pipeline">The built pipeline.</param>
/// <param name="Decoder">How payloads become its records.</param>
/// <typeparam name="T">The record type.</typeparam>
public sealed record PipelineInstance<T>(Pipeline<T> Pipeline, IRecordDecoder<T> Decoder)
    where T : struct;

/// <summary>What one invocation did with its batch.</summary>
/// <param name="Taken">Records from the start of the batch that were processed, skipped or dead-lettered; the rest were not touched and must be reported as failed so the platform redelivers them.</param>
/// <param name="Processed">Records decoded and given to a pipeline.</param>
/// <param name="Skipped">Records at or before their partition's last applied sequence number: a retried or duplicated delivery, already counted.</param>
/// <param name="DeadLettered">Records sent to the dead-letter sink (they count as handled).</param>
public readonly record struct InvocationResult(int Taken, int Processed, int Skipped, int DeadLettered);

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
    private readonly Func<PipelineInstance<T>> _create;
    private readonly IDeadLetterSink _deadLetters;
    private readonly InvocationOptions _options;
    private readonly IStateStore _store;
    private readonly Dictionary<string, PartitionState> _partitions = [];
    private readonly List<PartitionState> _touched = [];
    private readonly ArrayBufferWriter<byte> _snapshot = new();
    private PartitionState?[] _byBatchIndex = [];
    private string? _keyPrefix;
    private readonly T[] _records = new T[ChunkSize];
    private readonly long[] _timestamps = new long[ChunkSize];

    /// <summary>Creates a runner.</summary>
    /// <param name="create">Builds a fresh pipeline and its decoder; called once per partition per process (and again after a failure or another instance's save), so the pipeline is reused across warm invocations.</param>
    /// <param name="deadLetters">Where records that cannot be decoded go; flushed before state is saved.</param>
    /// <param name="options">The state store and the time budget.</param>
    public InvocationRunner(Func<PipelineInstance<T>> create, IDeadLetterSink deadLetters, InvocationOptions options)
    {
        ArgumentNullException.ThrowIfNull(create);
        ArgumentNullException.ThrowIfNull(deadLetters);
        ArgumentNullException.ThrowIfNull(options);
        _store = options.StateStore ?? throw new ArgumentException("InvocationOptions.StateStore is required: state must outlive the instance.", nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DeadlineMargin, TimeSpan.Zero);
        _create = create;
        _deadLetters = deadLetters;
        _options = options;
    }

    /// <summary>Processes <paramref name="batch"/> and checkpoints every partition it touched.</summary>
    /// <param name="batch">The invocation's records, in delivery order.</param>
    /// <param name="deadline">When the platform will stop the invocation; records are taken until <see cref="InvocationOptions.DeadlineMargin"/> before it.</param>
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
        var applied = new byte[]?[names.Count];
        for (var i = from; i < batch.Count; i++)
        {
            var partition = batch[i].Partition;
            applied[partition] ??= await LoadAppliedAsync(names[partition], cancellationToken).ConfigureAwait(false);
        }

        var written = 0;
        for (var i = from; i < batch.Count; i++)
        {
            var record = batch[i];
            if (SequenceNumbers.Compare(record.Sequence, applied[record.Partition]) > 0)
            {
                WriteDeadLetter(deadLetters, source, names[record.Partition], record, reason);
                written++;
            }
        }

        return written;
    }

    private async ValueTask<byte[]> LoadAppliedAsync(string partition, CancellationToken cancellationToken)
    {
        _keyPrefix ??= _options.StateKeyPrefix ?? _create().Pipeline.Name + "/";
        if (await _store.LoadAsync(_keyPrefix + partition, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return [];
        }

        var reader = new StateReader(stored.Data.Span);
        SnapshotFormat.ReadHeader(ref reader, SnapshotKind.InvocationPartition, _keyPrefix + partition);
        return reader.ReadBytes().ToArray();
    }

    private async ValueTask LoadAsync(InvocationBatch batch, CancellationToken cancellationToken)
    {
        var names = batch.PartitionNames;
        if (_byBatchIndex.Length < names.Count)
        {
            _byBatchIndex = new PartitionState?[names.Count];
        }

        Array.Clear(_byBatchIndex);
        for (var i = 0; i < batch.Count; i++)
        {
            var partition = batch[i].Partition;
            _byBatchIndex[partition] ??= await GetAsync(names[partition], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The partition's pipeline: the warm one if the store still holds the version it saved, else loaded.</summary>
    private async ValueTask<PartitionState> GetAsync(string partition, CancellationToken cancellationToken)
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
            throw new InvalidOperationException("The pipeline has no event-time selector; set InvocationOptions.UseSourceTimestamps.");
        }

        _keyPrefix ??= _options.StateKeyPrefix ?? pipeline.Name + "/";
        var state = new PartitionState(partition, _keyPrefix + partition, pipeline, decoder);
        if (await _store.LoadAsync(state.Key, cancellationToken).ConfigureAwait(false) is { } stored)
        {
            state.Version = stored.Version;
            var reader = new StateReader(stored.Data.Span);
            SnapshotFormat.ReadHeader(ref reader, SnapshotKind.InvocationPartition, state.Key);
            state.SetApplied(reader.ReadBytes());
            try
            {
                pipeline.ReadState(ref reader);
            }
            catch (IncompatibleStateException e)
            {
                throw new IncompatibleStateException($"The state stored under '{state.Key}' cannot be restored: {e.Message}", e);
            }
        }

        pipeline.RegisterPartition(0);
        _partitions.Add(partition, state);
        _touched.Add(state);
        return state;
    }

    private InvocationResult Process(InvocationBatch batch, DateTimeOffset stopTaking)
    {
        var time = _options.TimeProvider;
        int processed = 0, skipped = 0, deadLettered = 0;
        var index = 0;
        while (index < batch.Count && time.GetUtcNow() < stopTaking)
        {
            // One chunk: consecutive records of one partition, decoded into the record buffer and processed together.
            var partitionIndex = batch[index].Partition;
            var state = _byBatchIndex[partitionIndex]!;
            var started = Stopwatch.GetTimestamp();
            using var activity = StreamKitActivities.Source.HasListeners() ? StartChunkActivity(state) : null;
            var count = 0;
            for (; index < batch.Count && count < ChunkSize; index++)
            {
                var record = batch[index];
                if (record.Partition != partitionIndex)
                {
                    break;
                }

                if (SequenceNumbers.Compare(record.Sequence, state.Applied) <= 0)
                {
                    skipped++;
                    continue;
                }

                state.SetApplied(record.Sequence);
                if (record.Error is not null)
                {
                    DeadLetter(state, record, record.Error);
                    deadLettered++;
                    continue;
                }

                ref var decoded = ref _records[count];
                decoded = default;
                if (!(state.RawDecoder is null
                    ? state.Decoder.TryDecode(record.Value, ref decoded, out var error)
                    : state.RawDecoder.TryDecode(new RawRecord(record.Value, record.Key, SequenceNumbers.ToPosition(record.Sequence), record.Timestamp, null), ref decoded, out error)))
                {
                    DeadLetter(state, record, error ?? "rejected by the decoder");
                    deadLettered++;
                    continue;
                }

                _timestamps[count++] = record.Timestamp;
            }

            if (_options.UseSourceTimestamps)
            {
                state.Pipeline.Process(_records.AsSpan(0, count), _timestamps.AsSpan(0, count));
            }
            else
            {
                state.Pipeline.Process(_records.AsSpan(0, count));
            }

            processed += count;
            StreamKitMetrics.BatchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, state.Tags);
        }

        return new InvocationResult(index, processed, skipped, deadLettered);
    }

    private static void WriteDeadLetter(IDeadLetterSink sink, string source, string partition, InvocationRecord record, string reason)
    {
        var position = SequenceNumbers.ToPosition(record.Sequence);
        sink.Write(new DeadLetter(source, partition, position, reason, record.Value, record.Key, record.Timestamp)
        {
            Sequence = position < 0 ? Encoding.ASCII.GetString(record.Sequence) : null,
        });
    }

    private void DeadLetter(PartitionState state, InvocationRecord record, string reason)
    {
        WriteDeadLetter(_deadLetters, "invocation", state.Name, record, reason);
        StreamKitMetrics.DeadLetters.Add(1, state.Tags);
    }

    private static Activity? StartChunkActivity(PartitionState state) =>
        StreamKitActivities.Source.StartActivity(StreamKitActivities.BatchActivityName, ActivityKind.Consumer)?
            .SetTag(StreamKitMetrics.PipelineTag, state.Pipeline.Name)
            .SetTag(StreamKitActivities.PartitionTag, state.Name);

    private async ValueTask CheckpointAsync(CancellationToken cancellationToken)
    {
        using var activity = StreamKitActivities.Source.StartActivity(StreamKitActivities.CheckpointActivityName);
        var started = Stopwatch.GetTimestamp();
        foreach (var state in _touched)
        {
            await state.Pipeline.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await _deadLetters.FlushAsync(cancellationToken).ConfigureAwait(false);
        foreach (var state in _touched)
        {
            _snapshot.ResetWrittenCount();
            var writer = new StateWriter(_snapshot);
            SnapshotFormat.WriteHeader(writer, SnapshotKind.InvocationPartition);
            writer.WriteBytes(state.Applied);
            state.Pipeline.WriteState(writer);
            state.Version = await _store.SaveAsync(state.Key, _snapshot.WrittenMemory, state.Version, cancellationToken).ConfigureAwait(false);
            await state.Pipeline.CommitAsync(cancellationToken).ConfigureAwait(false);
            StreamKitMetrics.CheckpointDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, state.Tags);
        }
    }

    private void Forget()
    {
        foreach (var state in _touched)
        {
            _partitions.Remove(state.Name);
        }

        _touched.Clear();
    }

    private sealed class PartitionState(string name, string key, Pipeline<T> pipeline, IRecordDecoder<T> decoder)
    {
        private byte[] _applied = [];
        private int _appliedLength;

        public string Name { get; } = name;

        public string Key { get; } = key;

        public Pipeline<T> Pipeline { get; } = pipeline;

        public IRecordDecoder<T> Decoder { get; } = decoder;

        /// <summary>The decoder when it also reads keys (and timestamps), else <see langword="null"/>.</summary>
        public IRawRecordDecoder<T>? RawDecoder { get; } = decoder as IRawRecordDecoder<T>;

        public string? Version { get; set; }

        public TagList Tags { get; } = StreamKitMetrics.Tags(pipeline.Name);

        /// <summary>The last applied sequence number's digits; empty before the first record.</summary>
        public ReadOnlySpan<byte> Applied => _applied.AsSpan(0, _appliedLength);

        public void SetApplied(ReadOnlySpan<byte> digits)
        {
            if (_applied.Length < digits.Length)
            {
                _applied = new byte[Math.Max(digits.Length, 32)];
            }

            digits.CopyTo(_applied);
            _appliedLength = digits.Length;
        }
    }
}
