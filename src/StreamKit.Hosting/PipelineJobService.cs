using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using StreamKit.Runtime;

namespace StreamKit.Hosting;

/// <summary>Runs one job's pipeline in the background: builds it, runs it until the host stops (final checkpoint) or the source ends, and handles failures.</summary>
/// <remarks>
/// Stopping the host cancels the run; <see cref="PipelineRunner{T}.RunAsync"/> then stops polling and takes a final,
/// uncancellable checkpoint, so the host's shutdown timeout must leave room for one flush and state save.
/// </remarks>
internal sealed class PipelineJobService<T> : BackgroundService
    where T : struct
{
    private readonly JobStatus _status;
    private readonly Func<IServiceProvider, StreamKitJobOptions, StreamKitJob<T>> _factory;
    private readonly IServiceProvider _services;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private int _failures;

    public PipelineJobService(
        JobStatus status,
        Func<IServiceProvider, StreamKitJobOptions, StreamKitJob<T>> factory,
        IServiceProvider services,
        IHostApplicationLifetime lifetime,
        TimeProvider time,
        ILogger logger)
    {
        _status = status;
        _factory = factory;
        _services = services;
        _lifetime = lifetime;
        _time = time;
        _logger = logger;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Off the host's start-up path: building a job and restoring may block (a Kafka source fetches metadata
        // synchronously), which would otherwise hold back the other hosted services.
        await Task.Yield();
        var options = _status.Options;
        RunnerCounters counters;
        try
        {
            counters = await BuildRestarts(options)
                .ExecuteAsync(static (state, token) => new ValueTask<RunnerCounters>(state.Service.RunOnceAsync(state.Options, token)), (Service: this, Options: options), stoppingToken)
                .ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            _status.Set(JobState.Stopped);
            return;
        }
        catch (Exception e)
        {
            Log.Failed(_logger, e, _status.Name);
            _status.Set(JobState.Faulted, e);
            _lifetime.StopApplication();
            return;
        }

        if (stoppingToken.IsCancellationRequested)
        {
            Log.Stopped(_logger, _status.Name, counters.Read, counters.Processed, counters.DeadLettered);
            _status.Set(JobState.Stopped);
            return;
        }

        Log.Completed(_logger, _status.Name, counters.Read, counters.Processed, counters.DeadLettered);
        _status.Set(JobState.Completed);
        if (options.StopHostWhenCompleted)
        {
            _lifetime.StopApplication();
        }
    }

    /// <summary>The restart policy as a Polly retry: each failed run is retried after a delay that doubles per failure.</summary>
    /// <remarks>
    /// Polly's own attempt count cannot be reset, but only failures without a checkpoint between them count towards
    /// <see cref="StreamKitJobOptions.MaxRestarts"/> and the delay: so the retry is unbounded, and
    /// <see cref="ShouldRestart"/> and the delay generator read the count of failures since the last checkpoint.
    /// </remarks>
    private ResiliencePipeline BuildRestarts(StreamKitJobOptions options) =>
        new ResiliencePipelineBuilder { TimeProvider = _time }
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = int.MaxValue,
                ShouldHandle = args => ValueTask.FromResult(ShouldRestart(options, args.Outcome.Exception, args.Context.CancellationToken)),
                DelayGenerator = _ => ValueTask.FromResult<TimeSpan?>(Backoff(options, _failures)),
                OnRetry = args =>
                {
                    Log.Restarting(_logger, args.Outcome.Exception!, _status.Name, _failures, args.RetryDelay);
                    _status.Set(JobState.Restarting, args.Outcome.Exception);
                    return default;
                },
            })
            .Build();

    // Called once per failed run (Polly asks once per outcome), so it is where a failure is counted.
    private bool ShouldRestart(StreamKitJobOptions options, Exception? failure, CancellationToken stoppingToken)
    {
        if (failure is null || (failure is OperationCanceledException && stoppingToken.IsCancellationRequested))
        {
            return false;
        }

        _failures++;
        return options.OnFailure == JobFailureAction.Restart && _failures <= options.MaxRestarts;
    }

    private async Task<RunnerCounters> RunOnceAsync(StreamKitJobOptions options, CancellationToken stoppingToken)
    {
        var job = _factory(_services, options);
        await using (job.ConfigureAwait(false))
        {
            PipelineRunner<T>? runner = null;
            var runnerOptions = new PipelineRunnerOptions
            {
                StateStore = job.StateStore,
                StateKey = options.StateKey,
                CheckpointInterval = options.CheckpointInterval,
                CheckpointEveryBatches = options.CheckpointEveryBatches,
                BatchSize = options.BatchSize,
                UseSourceTimestamps = options.UseSourceTimestamps,
                TimeProvider = _time,
                OnCheckpoint = duration => OnCheckpoint(runner!.Counters, duration),
            };
            runner = new PipelineRunner<T>(job.Pipeline, job.Source, job.Decoder, job.DeadLetters, runnerOptions);
            Log.Starting(_logger, _status.Name, job.Source.Name);
            _status.Set(JobState.Running, counters: runner.Counters);
            await runner.RunAsync(stoppingToken).ConfigureAwait(false);
            return runner.Counters;
        }
    }

    private void OnCheckpoint(RunnerCounters counters, TimeSpan duration)
    {
        _failures = 0; // progress: only failures without a checkpoint between them count towards MaxRestarts
        _status.Checkpointed();
        Log.Checkpointed(_logger, _status.Name, counters.Checkpoints, duration.TotalMilliseconds, counters.Read, counters.Processed, counters.DeadLettered);
    }

    private static TimeSpan Backoff(StreamKitJobOptions options, int failures)
    {
        var factor = Math.Pow(2, Math.Min(failures - 1, 30));
        var delay = options.RestartDelay * factor;
        return delay > options.MaxRestartDelay ? options.MaxRestartDelay : delay;
    }
}
