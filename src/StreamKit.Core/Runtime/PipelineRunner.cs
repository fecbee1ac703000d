using System.Buffers;
using System.Diagnostics;
using StreamKit.Codecs;
using StreamKit.Diagnostics;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.State;

namespace StreamKit.Runtime;

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
    private readonly CheckpointedPipeline<T> _target;
    private readonly CheckpointedPipeline<T>[] _targets;
    private readonly RecordProcessor<T> _processor;
    private readonly IRecordSource _source;
    private readonly IDeadLetterSink _deadLetters;
    private readonly PipelineRunnerOptions _options;
    private readonly Dictionary<string, long> _positions = [];
    private readonly ArrayBufferWriter<byte> _snapshot = new();
    private List<ActivityContext>? _traceContexts;
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
    public PipelineRunner(Pipeline<T> pipeline, IRecordSource source, IRecordDecoder<T> decoder, IDeadLetterSink deadLetters, PipelineRunnerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(decoder);
        ArgumentNullException.ThrowIfNull(deadLetters);
        _options = options ?? new PipelineRunnerOptions();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(_options.BatchSize);
        ArgumentOutOfRangeException.ThrowIfNegative(_options.MaxUnflushedOutput);
        if (!_options.UseSourceTimestamps && !pipeline.HasEventTimeSelector)
        {
            throw new ArgumentException("The pipeline has no event-time selector; set PipelineRunnerOptions.UseSourceTimestamps.", nameof(pipeline));
        }

        _target = new CheckpointedPipeline<T>(pipeline, decoder, _options.StateKey ?? pipeline.Name, SnapshotKind.RunnerCheckpoint);
        _targets = [_target];
        _processor = new RecordProcessor<T>(deadLetters, source.Name, _options.UseSourceTimestamps);
        _source = source;
        _deadLetters = deadLetters;
    }

    /// <summary>What the runner has done so far.</summary>
    public RunnerCounters Counters { get; } = new();

    /// <summary>The last applied position per partition.</summary>
    public IReadOnlyDictionary<string, long> Positions => _positions;

    private Pipeline<T> Pipeline => _target.Pipeline;

    /// <summary>Runs until a bounded source ends (then every window closes and a final checkpoint is taken) or until cancelled.</summary>
    /// <returns>A task that completes after the final checkpoint.</returns>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        await RestoreAsync(cancellationToken).ConfigureAwait(false);
        foreach (var partition in _source.Partitions)
        {
            Pipeline.RegisterPartition(_target.PartitionOf(partition));
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
                Pipeline.Tick();
            }

            if (batch.EndOfPartition)
            {
                Pipeline.CompletePartition(_target.PartitionOf(batch.Partition));
            }

            if (!more)
            {
                Pipeline.Complete();
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
        if (_options.StateStore is null || !await _target.LoadAsync(_options.StateStore, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        for (var i = 0; i < _target.PartitionNames.Count; i++)
        {
            _positions[_target.PartitionNames[i]] = _target.Applied(i).ToInt64();
        }

        await _source.SeekAsync(_positions, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Takes a checkpoint: flushes sinks and dead letters, saves state with positions, commits transactional sinks, and commits the source, in that order.</summary>
    public async ValueTask CheckpointAsync(CancellationToken cancellationToken = default)
    {
        using var activity = StreamKitActivities.Source.StartActivity(StreamKitActivities.CheckpointActivityName);
        activity?.SetTag(StreamKitMetrics.PipelineTag, Pipeline.Name);
        var started = Stopwatch.GetTimestamp();
        await Checkpoint.RunAsync(_targets, _deadLetters, _options.StateStore, _snapshot, _source, _positions, cancellationToken).ConfigureAwait(false);
        _lastCheckpoint = _options.TimeProvider.GetTimestamp();
        _batchesSinceCheckpoint = 0;
        _outputAtCheckpoint = Output;
        Counters.CheckpointCount++;
        var elapsed = Stopwatch.GetElapsedTime(started);
        StreamKitMetrics.CheckpointDuration.Record(elapsed.TotalSeconds, _target.Tags);
        _options.OnCheckpoint?.Invoke(elapsed);
    }

    private void ProcessBatch(RawRecordBatch batch)
    {
        // Null unless a tracer listens; the current activity while the pipeline runs, so sinks can propagate it.
        using var activity = StreamKitActivities.Source.HasListeners() ? StartBatchActivity(batch) : null;
        var partition = _target.PartitionOf(batch.Partition);
        var counts = default(RecordCounts);
        var records = new RawBatchRecords(batch);
        _processor.Process(ref records, 0, batch.Count, _target, partition, ref counts);
        if (_target.Applied(partition) is { IsNone: false } applied)
        {
            _positions[batch.Partition] = applied.ToInt64();
        }

        Counters.ReadCount += counts.Read;
        Counters.SkippedCount += counts.Skipped;
        Counters.DeadLetterCount += counts.DeadLettered;
        Counters.ProcessedCount += counts.Processed;
        _batchesSinceCheckpoint++;
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
        activity?.SetTag(StreamKitMetrics.PipelineTag, Pipeline.Name)
            .SetTag(StreamKitActivities.PartitionTag, batch.Partition)
            .SetTag(StreamKitActivities.RecordsTag, batch.Count);
        return activity;
    }

    /// <summary>Records written to the pipeline's sinks so far: results and late events sent to a side output.</summary>
    private long Output => Pipeline.Counters.Out + Pipeline.Counters.Late - Pipeline.Counters.Dropped;

    private bool IsCheckpointDue() =>
        (_options.CheckpointEveryBatches > 0 && _batchesSinceCheckpoint >= _options.CheckpointEveryBatches)
        || (_options.MaxUnflushedOutput > 0 && Output - _outputAtCheckpoint >= _options.MaxUnflushedOutput)
        || _options.TimeProvider.GetElapsedTime(_lastCheckpoint) >= _options.CheckpointInterval;
}
