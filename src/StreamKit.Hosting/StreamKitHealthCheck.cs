using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace StreamKit.Hosting;

/// <summary>
/// Reports the hosted StreamKit jobs' health: Unhealthy when a job failed for good, Degraded while one waits to restart
/// or has not completed a checkpoint within <see cref="StreamKitJobOptions.DegradedAfterIntervals"/> checkpoint
/// intervals (stuck, or its sink or state store failing slowly), Healthy otherwise.
/// </summary>
/// <remarks>
/// Registered by <see cref="StreamKitServiceCollectionExtensions.AddStreamKit(Microsoft.Extensions.DependencyInjection.IServiceCollection)"/>;
/// add it to the health-check service with <c>services.AddHealthChecks().AddCheck&lt;StreamKitHealthCheck&gt;("streamkit")</c>.
/// The result's data holds each job's state by name.
/// </remarks>
public sealed class StreamKitHealthCheck : IHealthCheck
{
    private readonly StreamKitJobMonitor _monitor;
    private readonly TimeProvider _time;

    internal StreamKitHealthCheck(StreamKitJobMonitor monitor, TimeProvider time)
    {
        _monitor = monitor;
        _time = time;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var now = _time.GetUtcNow();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var worst = HealthStatus.Healthy;
        string? reason = null;
        Exception? failure = null;
        foreach (var job in _monitor.Jobs)
        {
            var (state, since, lastCheckpoint, error) = job.Snapshot();
            data[job.Name] = state.ToString();
            var status = HealthStatus.Healthy;
            string? why = null;
            switch (state)
            {
                case JobState.Faulted:
                    status = HealthStatus.Unhealthy;
                    why = $"job '{job.Name}' failed: {error?.Message}";
                    break;
                case JobState.Restarting:
                    status = HealthStatus.Degraded;
                    why = $"job '{job.Name}' is restarting after a failure: {error?.Message}";
                    break;
                case JobState.Running:
                    var from = lastCheckpoint is { } last && last > since ? last : since;
                    var limit = job.Options.CheckpointInterval * job.Options.DegradedAfterIntervals;
                    if (now - from > limit)
                    {
                        status = HealthStatus.Degraded;
                        why = $"job '{job.Name}' has not completed a checkpoint for {now - from} (limit {limit})";
                    }

                    break;
            }

            if (status < worst)
            {
                worst = status;
                reason = why;
                failure = error;
            }
        }

        return Task.FromResult(new HealthCheckResult(worst, reason ?? "all StreamKit jobs are healthy", failure, data));
    }
}
