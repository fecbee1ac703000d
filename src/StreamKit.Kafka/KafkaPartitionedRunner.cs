using System.Diagnostics.CodeAnalysis;
using Confluent.Kafka;
using StreamKit.Kafka.Internal;
using StreamKit.Runtime;

namespace StreamKit.Kafka;

/// <summary>
/// Runs one pipeline per assigned Kafka partition, each with its own checkpoint: for jobs whose input is
/// co-partitioned by the aggregation key, run as several instances in one consumer group.
/// </summary>
/// <remarks>
/// <para>One consumer (a <see cref="KafkaSource"/>) serves every partition of the instance. When a partition is
/// assigned, a fresh pipeline is built for it (<see cref="KafkaPartitionedRunnerOptions{T}.PipelineFactory"/>) and a
/// <see cref="PipelineRunner{T}"/> restores it from <c>StateKeyPrefix/topic-partition</c> and reads that partition
/// only. When it is revoked, the consume thread waits (up to <see cref="KafkaPartitionedRunnerOptions{T}.RevokeTimeout"/>)
/// for the partition's runner to stop with a final checkpoint — sinks flushed, state saved, offset committed — before
/// the partition is released; its state goes with the pipeline. The next owner, here or in another instance,
/// restores that state and starts at the committed offset: nothing lost, nothing applied twice.</para>
/// <para>Runners run concurrently; at most <see cref="KafkaPartitionedRunnerOptions{T}.MaxParallelism"/> process a batch
/// (or checkpoint) at the same time. Each pipeline sees one partition, so its watermark is that partition's.</para>
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
[SuppressMessage("Design", "CA1001", Justification = "Its SemaphoreSlim holds no unmanaged resource: AvailableWaitHandle is never read.")]
public sealed class KafkaPartitionedRunner<T>
    where T : struct
{
    private readonly KafkaPartitionedRunnerOptions<T> _options;
    private readonly SynchronizedDeadLetterSink _deadLetters;
    private readonly SemaphoreSlim _slots;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, PartitionRun> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Task> _previous = new(StringComparer.Ordinal);
    private readonly List<Task> _all = [];
    private readonly List<CancellationTokenSource> _stops = [];
    private KafkaSource? _source;
    private CancellationToken _stopping;
    private bool _assignedOnce;
    private bool _awaitingAssignment; // between a revoke and the assignment that follows it: nothing runs, yet the run is not over
    private int _started;
    private long _read;
    private long _skipped;
    private long _deadLettered;
    private long _processed;
    private long _checkpoints;
    private int _runners;

    /// <summary>Creates the runner; nothing is read before <see cref="RunAsync"/>.</summary>
    /// <exception cref="ArgumentException">A required setting is missing or invalid.</exception>
    public KafkaPartitionedRunner(KafkaPartitionedRunnerOptions<T> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _deadLetters = new SynchronizedDeadLetterSink(options.DeadLetters!);
        _slots = new SemaphoreSlim(options.MaxParallelism, options.MaxParallelism);
    }

    /// <summary>The partitions assigned to this instance now, as <c>topic-partition</c> names (a copy).</summary>
    public IReadOnlyList<string> AssignedPartitions => _source?.AssignedPartitions ?? [];

    /// <summary>The partitions whose runner is running now (a copy).</summary>
    public IReadOnlyList<string> RunningPartitions
    {
        get
        {
            lock (_lock)
            {
                return [.. _running.Keys];
            }
        }
    }

    /// <summary>What the partition runners have done, summed over the runners that have ended and those running now.</summary>
    public KafkaPartitionedCounters Counters
    {
        get
        {
            lock (_lock)
            {
                var totals = new KafkaPartitionedCounters(_read, _skipped, _deadLettered, _processed, _checkpoints, _runners);
                foreach (var run in _running.Values)
                {
                    if (run.Runner is { Counters: var c })
                    {
                        totals = totals with
                        {
                            Read = totals.Read + c.Read,
                            Skipped = totals.Skipped + c.Skipped,
                            DeadLettered = totals.DeadLettered + c.DeadLettered,
                            Processed = totals.Processed + c.Processed,
                            Checkpoints = totals.Checkpoints + c.Checkpoints,
                        };
                    }
                }

                return totals;
            }
        }
    }

    /// <summary>
    /// Joins the group and runs a pipeline per assigned partition until cancelled (every runner then takes a final
    /// checkpoint and the consumer leaves the group) or, when <see cref="KafkaSourceOptions.Bounded"/>, until every
    /// partition of the topics has been read, by this instance or another of the group, to the end offsets seen at start.
    /// </summary>
    /// <remarks>
    /// A bounded instance whose own partitions are done stays in the group until every partition's pipeline has read to
    /// the end offsets seen at start and closed its windows (a completion marker per partition in the state store, checked
    /// every poll interval), so that when another member stops or fails, its partitions are reassigned here and finished
    /// instead of being left unread or with their last windows open.
    /// </remarks>
    /// <returns>A task that completes once every runner has checkpointed and the consumer is closed.</returns>
    /// <exception cref="InvalidOperationException">Called a second time.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A partitioned runner runs once.");
        }

        var source = new KafkaSource(_options.Source);
        source.UsePartitionReaders(OnAssigned, OnRevoking);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _stopping = stop.Token;
        _source = source;
        Dictionary<string, long>? groupEnds = null;
        try
        {
            source.Start();
            if (_options.Source.Bounded && _options.Source.GroupId is not null)
            {
                groupEnds = await source.ObserveEndOffsetsAsync().ConfigureAwait(false);
            }

            while (true)
            {
                if (!source.CheckRunning())
                {
                    throw new InvalidOperationException("The Kafka consume loop has stopped.");
                }

                Task? failed;
                bool finished;
                lock (_lock)
                {
                    failed = _all.Find(static t => t.IsFaulted);
                    finished = _options.Source.Bounded && _assignedOnce && !_awaitingAssignment && _running.Values.All(static r => r.Task.IsCompletedSuccessfully);
                }

                if (failed is not null)
                {
                    await failed.ConfigureAwait(false); // rethrows the partition runner's failure
                }

                if (finished && (groupEnds is null || await GroupCompletedAsync(groupEnds).ConfigureAwait(false)))
                {
                    break;
                }

                try
                {
                    await Task.Delay(_options.Source.PollInterval, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        finally
        {
            // Every runner takes its final checkpoint while the consumer can still commit; then the consumer leaves the
            // group (its revoke finds nothing running).
            await stop.CancelAsync().ConfigureAwait(false);
            Task[] tasks;
            lock (_lock)
            {
                tasks = [.. _all];
            }

            await Task.WhenAll(tasks).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await source.DisposeAsync().ConfigureAwait(false);
            lock (_lock)
            {
                foreach (var cts in _stops)
                {
                    cts.Dispose();
                }

                _stops.Clear();
            }
        }

        Task? failedRun;
        lock (_lock)
        {
            failedRun = _all.Find(static t => t.IsFaulted);
        }

        if (failedRun is not null)
        {
            await failedRun.ConfigureAwait(false); // rethrows the partition runner's failure
        }
    }

    /// <summary>On the consume thread, after an assignment: a runner per new partition.</summary>
    private void OnAssigned(List<TopicPartition> assigned)
    {
        lock (_lock)
        {
            _assignedOnce = true;
            _awaitingAssignment = false;
            foreach (var tp in assigned)
            {
                var name = KafkaPartitionName.Format(tp.Topic, tp.Partition.Value);
                if (_running.ContainsKey(name))
                {
                    continue;
                }

                // A runner that outlived its revoke timeout must finish before the next one restores the partition.
                var previous = _previous.GetValueOrDefault(name) ?? Task.CompletedTask;
                var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping);
                _stops.Add(cts);
                var run = new PartitionRun(cts);
                run.Task = Task.Run(() => RunPartitionAsync(name, run, previous, cts.Token), CancellationToken.None);
                _running.Add(name, run);
                _all.Add(run.Task);
            }
        }
    }

    /// <summary>On the consume thread, before revoked partitions are released: stop their runners with a final checkpoint.</summary>
    private void OnRevoking(List<TopicPartitionOffset> revoked)
    {
        var runs = new List<PartitionRun>();
        var names = new List<string>(revoked.Count);
        lock (_lock)
        {
            _awaitingAssignment = true;
            foreach (var tpo in revoked)
            {
                var name = KafkaPartitionName.Format(tpo.Topic, tpo.Partition.Value);
                names.Add(name);
                if (_running.Remove(name, out var run))
                {
                    runs.Add(run);
                    _previous[name] = run.Task;
                }
            }
        }

        foreach (var run in runs)
        {
            run.Stop.Cancel();
        }

        var tasks = runs.ConvertAll(static r => r.Task);
        try
        {
            // Blocks the consume thread: the rebalance must not go on until the checkpoints are taken. Heartbeats go on
            // in librdkafka's own threads meanwhile.
            Task.WhenAll(tasks).Wait(_options.RevokeTimeout);
        }
        catch (AggregateException)
        {
            // A failed runner fails RunAsync through _all.
        }

        foreach (var name in names)
        {
            _source!.ReleasePartition(name);
        }
    }

    /// <summary>The state key of the marker saying a bounded run read <paramref name="partition"/> to its end and closed its windows.</summary>
    private string CompletedKey(string partition) => _options.StateKeyPrefix + "/" + partition + ".completed";

    private async Task MarkCompletedAsync(string partition, long end)
    {
        var store = _options.StateStore!;
        var key = CompletedKey(partition);
        var data = new byte[sizeof(long)];
        System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(data, end);
        await store.SaveAsync(key, data, await store.GetVersionAsync(key).ConfigureAwait(false)).ConfigureAwait(false);
    }

    /// <summary>Whether every partition has a completion marker at or past the end offset this instance saw at start.</summary>
    private async Task<bool> GroupCompletedAsync(Dictionary<string, long> ends)
    {
        foreach (var (partition, end) in ends)
        {
            var marker = await _options.StateStore!.LoadAsync(CompletedKey(partition)).ConfigureAwait(false);
            if (marker is not { } stored || stored.Data.Length != sizeof(long)
                || System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(stored.Data.Span) < end)
            {
                return false;
            }
        }

        return true;
    }

    private async Task RunPartitionAsync(string name, PartitionRun run, Task previous, CancellationToken cancellationToken)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var view = new KafkaPartitionView(_source!, name, _slots);
        var template = _options.Runner;
        var runner = new PipelineRunner<T>(_options.PipelineFactory!(name), view, _options.DecoderFactory!(), _deadLetters, new PipelineRunnerOptions
        {
            StateStore = _options.StateStore,
            StateKey = _options.StateKeyPrefix + "/" + name,
            CheckpointInterval = template.CheckpointInterval,
            CheckpointEveryBatches = template.CheckpointEveryBatches,
            BatchSize = template.BatchSize,
            UseSourceTimestamps = template.UseSourceTimestamps,
            TimeProvider = template.TimeProvider,
        });
        lock (_lock)
        {
            run.Runner = runner;
            _runners++;
        }

        try
        {
            await runner.RunAsync(cancellationToken).ConfigureAwait(false);
            if (_options.Source.Bounded && !cancellationToken.IsCancellationRequested)
            {
                // Read to its end and its windows closed (not stopped by a revoke): the group's job is done here.
                await MarkCompletedAsync(name, _source!.EndOffsetOf(name)).ConfigureAwait(false);
            }
        }
        finally
        {
            view.ReleaseSlot();
            lock (_lock)
            {
                run.Runner = null;
                var c = runner.Counters;
                _read += c.Read;
                _skipped += c.Skipped;
                _deadLettered += c.DeadLettered;
                _processed += c.Processed;
                _checkpoints += c.Checkpoints;
            }
        }
    }

    private sealed class PartitionRun(CancellationTokenSource stop)
    {
        public CancellationTokenSource Stop { get; } = stop;

        public Task Task { get; set; } = Task.CompletedTask;

        public PipelineRunner<T>? Runner { get; set; }
    }
}
