using System.Buffers;
using System.Diagnostics;
using StreamKit.Codecs;
using StreamKit.Diagnostics;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>How a <see cref="PipelineRunner{T}"/> polls, checkpoints and where it keeps state.</summary>
public sealed class RunnerOptions
{
    /// <summary>Where checkpoints go; <see langword="null"/> runs without checkpoints (nothing survives a restart).</summary>
    public IStateStore? StateStore { get; set; }

    /// <summary>The checkpoint's key in the store: one per pipeline and source (and per partition set, where partitions move between instances).</summary>
    /// <value>Defaults to the pipeline's name.</value>
    public string? StateKey { get; set; }

    /// <summary>How often (wall clock) to checkpoint: flush sinks, save state with positions, commit the source.</summary>
    /// <remarks>Shorter means less replay after a crash and more store writes.</remarks>
    /// <value>Defaults to 10 seconds.</value>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Also checkpoint after this many batches; 0 turns the count off.</summary>
    public int CheckpointEveryBatches { get; set; }

    /// <summary>Also checkpoint (so flush the sinks) once the pipeline has written this many records to its sinks since the last checkpoint; 0 turns the bound off.</summary>
    /// <remarks>
    /// Sinks that hold output until they are flushed (Kinesis, a transactional file or Kafka sink) would otherwise hold
    /// everything produced in a <see cref="CheckpointInterval"/>: memory would follow the input rate. With the bound they
    /// hold at most this many records plus the output of one batch (the count is checked between batches). A smaller
    /// bound means more checkpoints (store writes, source commits) when output is heavy.
    /// </remarks>
    /// <value>Defaults to 100,000 records.</value>
    public int MaxUnflushedOutput { get; set; } = 100_000;

    /// <summary>Records per batch asked of the source.</summary>
    /// <value>Defaults to 1024.</value>
    public int BatchSize { get; set; } = 1024;

    /// <summary>Take event time from the source's record timestamps (Kafka, Kinesis arrival) instead of the pipeline's event-time selector.</summary>
    public bool UseSourceTimestamps { get; set; }

    /// <summary>The wall clock for checkpoint intervals; replace it in tests.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Called on the runner's thread after each checkpoint completes, with how long it took (hosts log it and track health).</summary>
    /// <remarks>Keep it short: the runner waits for it before polling again. An exception from it fails the run.</remarks>
    public Action<TimeSpan>? OnCheckpoint { get; set; }
}

/// <summary>What a runner did: every record read is skipped (already applied), dead-lettered, or processed.</summary>
public sealed class RunnerCounters
{
    internal long ReadCount;
    internal long SkippedCount;
    internal long DeadLetterCount;
    internal long ProcessedCount;
    internal long CheckpointCount;

    /// <summary>Records read from the source.</summary>
    public long Read => ReadCount;

    /// <summary>Records at or before a restored position, skipped so state is not updated twice.</summary>
    public long Skipped => SkippedCount;

    /// <summary>Records sent to the dead-letter sink.</summary>
    public long DeadLettered => DeadLetterCount;

    /// <summary>Records decoded and given to the pipeline.</summary>
    public long Processed => ProcessedCount;

    /// <summary>Checkpoints completed.</summary>
    public long Checkpoints => CheckpointCount;
}

/// <summary>
/// Runs a pipeline over a source: poll a batch, decode it, process it, and periodically checkpoint — flush the
/// sinks, save pipeline state together with the positions it reflects, then commit the positions to the source.
/// </summary>
/// <remarks>
/// <para>A position is committed only after every output derived from the records before it is flushed and the state
/// that includes them is saved. A crash at any point replays from the last checkpoint; records at or before a
/// partition's saved position are skipped, so state is updated exactly once under at-least-once delivery.</para>
/// <para>Malformed records go to the dead-letter sink with their raw bytes, position and reason, and the batch goes on.
/// Cancelling <see cref="RunAsync"/> stops polling and takes a final checkpoint.</para>
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed class PipelineRunner<T>
    where T : struct
{
    private readonly Pipeline<T> _pipeline;
    private readonly IRecordSource _source;
    private readonly IRecordDecoder<T> _decoder;
    private readonly IRawRecordDecoder<T>? _rawDecoder;
    private readonly IDeadLetterSink _deadLetters;
    private readonly RunnerOptions _options;
    private readonly string _stateKey;
    private readonly TagList _tags;
    private readonly Dictionary<string, int> _partitionIndex = [];
    private readonly List<string> _partitionNames = [];
    private readonly List<long> _applied = [];
    private readonly Dictionary<string, long> _positions = [];
    private List<ActivityContext>? _traceContexts;
    private T[] _records;
    private long[] _timestamps;
    private string? _stateVersion;
    private long _lastCheckpoint;
    private int _batchesSinceCheckpoint;
    private long _outputAtCheckpoint;
    private bool _restored;

    /// <summary>Creates a runner.</summary>
    /// <param name="pipeline">The built pipeline.</param>
    /// <param name="source">Where records come from.</param>
    /// <param name="decoder">How payloads become records.</param>
    /// <param name="deadLetters">Where records that cannot be decoded go; required, so bad input is never silently lost.</param>
    /// <param name="options">Checkpointing and polling settings.</param>
    public PipelineRunner(Pipeline<T> pipeline, IRecordSource source, IRecordDecoder<T> decoder, IDeadLetterSink deadLetters, RunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(deadLetters);
        _options = options ?? new RunnerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxUnflushedOutput);
        if (!_options.UseSourceTimestamps && !pipeline.HasEventTimeSelector)
        {
            throw new ArgumentException("The pipeline has no event-time selector; set RunnerOptions.UseSourceTimestamps.", nameof(pipeline));
        }

        _pipeline = pipeline;
        _source = source;
        _decoder = decoder;
        _rawDecoder = decoder as IRawRecordDecoder<T>;
        _deadLetters = deadLetters;
        _stateKey = _options.StateKey ?? pipeline.Name;
        _tags = StreamKitMetrics.Tags(pipeline.Name);
        _records = new T[_options.BatchSize];
        _timestamps = new long[_options.BatchSize];
    }

    /// <summary>What the runner has done so far.</summary>
    public RunnerCounters Counters { get; } = new();

    /// <summary>The last applied position per partition.</summary>
    public IReadOnlyDictionary<string, long> Positions => _positions;

    /// <summary>Runs until a bounded source ends (then every window closes and a final checkpoint is taken) or until cancelled.</summary>
    /// <returns>A task that completes after the final checkpoint.</returns>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await RestoreAsync(cancellationToken).ConfigureAwait(false);
        foreach (var partition in _source.Partitions)
        {
            _pipeline.RegisterPartition(PartitionOf(partition));
        }

        using var batch = new RawRecordBatch(_options.BatchSize);
        _lastCheckpoint = _options.TimeProvider.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested)
        {
            batch.Clear();
            bool more;
            try
            {
                more = await _source.ReadAsync(batch, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                break;
            }

            if (batch.Count > 0)
            {
                ProcessBatch(batch);
            }
            else if (more && !batch.EndOfPartition)
            {
                _pipeline.Tick();
            }

            if (batch.EndOfPartition)
            {
                _pipeline.CompletePartition(PartitionOf(batch.Partition));
            }

            if (!more)
            {
                _pipeline.Complete();
                break;
            }

            if (IsCheckpointDue())
            {
                // Not cancellable either: a stop arriving mid-checkpoint would otherwise abandon it (a store may have
                // saved without this runner learning the new version) and skip the final checkpoint below.
                await CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }

        // Graceful stop or end of input: make everything durable. Not cancellable, or a stop would lose the tail.
        await CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Loads the last checkpoint (if any) into the pipeline and seeks the source; <see cref="RunAsync"/> calls it.</summary>
    public async ValueTask RestoreAsync(CancellationToken cancellationToken = default)
    {
        if (_restored)
        {
            return;
        }

        _restored = true;
        if (_options.StateStore is null || await _options.StateStore.LoadAsync(_stateKey, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return;
        }

        _stateVersion = stored.Version;
        Restore(stored.Data.Span);
        await _source.SeekAsync(_positions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Flushes sinks and dead letters, saves state with positions, commits transactional sinks, and commits the source, in that order.</summary>
    public async ValueTask CheckpointAsync(CancellationToken cancellationToken = default)
    {
        using var activity = StreamKitActivities.Source.StartActivity(StreamKitActivities.CheckpointActivityName);
        activity?.SetTag(StreamKitMetrics.PipelineTag, _pipeline.Name);
        var started = Stopwatch.GetTimestamp();
        await _pipeline.FlushAsync(cancellationToken).ConfigureAwait(false);
        await _deadLetters.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (_options.StateStore is { } store)
        {
            var buffer = new ArrayBufferWriter<byte>();
            WriteCheckpoint(new StateWriter(buffer));
            _stateVersion = await store.SaveAsync(_stateKey, buffer.WrittenMemory, _stateVersion, cancellationToken).ConfigureAwait(false);
        }

        await _pipeline.CommitAsync(cancellationToken).ConfigureAwait(false);
        await _source.CommitAsync(_positions, cancellationToken).ConfigureAwait(false);
        _lastCheckpoint = _options.TimeProvider.GetTimestamp();
        _batchesSinceCheckpoint = 0;
        _outputAtCheckpoint = Output;
        Counters.CheckpointCount++;
        var elapsed = Stopwatch.GetElapsedTime(started);
        StreamKitMetrics.CheckpointDuration.Record(elapsed.TotalSeconds, _tags);
        _options.OnCheckpoint?.Invoke(elapsed);
    }

    private void ProcessBatch(RawRecordBatch batch)
    {
        // Null unless a tracer listens; the current activity while the pipeline runs, so sinks can propagate it.
        using var activity = StreamKitActivities.Source.HasListeners() ? StartBatchActivity(batch) : null;
        var started = Stopwatch.GetTimestamp();
        var partition = PartitionOf(batch.Partition);
        var applied = _applied[partition];
        var last = applied;
        var count = 0;
        var deadBefore = Counters.DeadLetterCount;
        if (_records.Length < batch.Count)
        {
            _records = new T[batch.Count];
            _timestamps = new long[batch.Count];
        }

        for (var i = 0; i < batch.Count; i++)
        {
            var raw = batch[i];
            Counters.ReadCount++;
            if (raw.Position <= applied)
            {
                Counters.SkippedCount++;
                continue;
            }

            last = Math.Max(last, raw.Position);
            if (raw.Error is not null)
            {
                DeadLetter(batch.Partition, raw, raw.Error);
                continue;
            }

            ref var record = ref _records[count];
            record = default;
            if (!(_rawDecoder is null ? _decoder.TryDecode(raw.Value, ref record, out var error) : _rawDecoder.TryDecode(raw, ref record, out error)))
            {
                DeadLetter(batch.Partition, raw, error ?? "rejected by the decoder");
                continue;
            }

            _timestamps[count] = raw.Timestamp;
            count++;
        }

        _applied[partition] = last;
        _positions[batch.Partition] = last;
        Counters.ProcessedCount += count;
        if (_options.UseSourceTimestamps)
        {
            _pipeline.Process(_records.AsSpan(0, count), _timestamps.AsSpan(0, count), partition);
        }
        else
        {
            _pipeline.Process(_records.AsSpan(0, count), partition);
        }

        _batchesSinceCheckpoint++;
        var dead = Counters.DeadLetterCount - deadBefore;
        if (dead > 0)
        {
            StreamKitMetrics.DeadLetters.Add(dead, _tags);
        }

        StreamKitMetrics.BatchDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, _tags);
    }

    private Activity? StartBatchActivity(RawRecordBatch batch)
    {
        List<ActivityLink>? links = null;
        if (_source is ITraceContextSource traced)
        {
            _traceContexts ??= [];
            _traceContexts.Clear();
            traced.CopyTraceContexts(_traceContexts);
            if (_traceContexts.Count > 0)
            {
                links = new List<ActivityLink>(_traceContexts.Count);
                foreach (var context in _traceContexts)
                {
                    links.Add(new ActivityLink(context));
                }
            }
        }

        var activity = StreamKitActivities.Source.StartActivity(StreamKitActivities.BatchActivityName, ActivityKind.Consumer, default(ActivityContext), links: links);
        activity?.SetTag(StreamKitMetrics.PipelineTag, _pipeline.Name)
            .SetTag(StreamKitActivities.PartitionTag, batch.Partition)
            .SetTag(StreamKitActivities.RecordsTag, batch.Count);
        return activity;
    }

    private void DeadLetter(string partition, RawRecord raw, string reason)
    {
        _deadLetters.Write(new DeadLetter(_source.Name, partition, raw.Position, reason, raw.Value, raw.Key, raw.Timestamp));
        Counters.DeadLetterCount++;
    }

    private int PartitionOf(string name)
    {
        if (!_partitionIndex.TryGetValue(name, out var index))
        {
            index = _partitionNames.Count;
            _partitionIndex.Add(name, index);
            _partitionNames.Add(name);
            _applied.Add(long.MinValue);
        }

        return index;
    }

    /// <summary>Records written to the pipeline's sinks so far: results and late events sent to a side output.</summary>
    private long Output => _pipeline.Counters.Out + _pipeline.Counters.Late - _pipeline.Counters.Dropped;

    private bool IsCheckpointDue() =>
        (_options.CheckpointEveryBatches > 0 && _batchesSinceCheckpoint >= _options.CheckpointEveryBatches)
        || (_options.MaxUnflushedOutput > 0 && Output - _outputAtCheckpoint >= _options.MaxUnflushedOutput)
        || _options.TimeProvider.GetElapsedTime(_lastCheckpoint) >= _options.CheckpointInterval;

    private void WriteCheckpoint(StateWriter writer)
    {
        SnapshotFormat.WriteHeader(writer, SnapshotKind.RunnerCheckpoint);
        writer.WriteInt32(_partitionNames.Count);
        for (var i = 0; i < _partitionNames.Count; i++)
        {
            writer.WriteString(_partitionNames[i]);
            writer.WriteInt64(_applied[i]);
        }

        _pipeline.WriteState(writer);
    }

    private void Restore(ReadOnlySpan<byte> snapshot)
    {
        var reader = new StateReader(snapshot);
        SnapshotFormat.ReadHeader(ref reader, SnapshotKind.RunnerCheckpoint, _stateKey);
        var partitions = reader.ReadCount();
        for (var i = 0; i < partitions; i++)
        {
            var name = reader.ReadString();
            var position = reader.ReadInt64();
            _applied[PartitionOf(name)] = position;
            _positions[name] = position;
        }

        try
        {
            _pipeline.ReadState(ref reader);
        }
        catch (IncompatibleStateException e)
        {
            throw new IncompatibleStateException($"The state stored under '{_stateKey}' cannot be restored: {e.Message}", e);
        }
    }
}
