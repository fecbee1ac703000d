using StreamKit.Runtime;

namespace StreamKit.Hosting;

/// <summary>Where a hosted job is in its life; the health check's data gives it by name.</summary>
internal enum JobState
{
    /// <summary>Registered; the host has not started it yet.</summary>
    Starting,

    /// <summary>Polling and processing.</summary>
    Running,

    /// <summary>Failed and waiting to run again (see <see cref="StreamKitJobOptions.OnFailure"/>).</summary>
    Restarting,

    /// <summary>A bounded source was read to its end and the final checkpoint taken.</summary>
    Completed,

    /// <summary>Stopped by the host, after its final checkpoint.</summary>
    Stopped,

    /// <summary>Failed for good; the host is stopping.</summary>
    Faulted,
}

/// <summary>One hosted job's state as the health check and logs see it; updated by the job's service, read from any thread.</summary>
internal sealed class JobStatus(string name, StreamKitJobOptions options, TimeProvider time)
{
    private readonly Lock _gate = new();
    private JobState _state;
    private DateTimeOffset _since = time.GetUtcNow();
    private DateTimeOffset? _lastCheckpoint;
    private Exception? _failure;

    public string Name { get; } = name;

    public StreamKitJobOptions Options { get; } = options;

    public RunnerCounters? Counters { get; private set; }

    public (JobState State, DateTimeOffset Since, DateTimeOffset? LastCheckpoint, Exception? Failure) Snapshot()
    {
        lock (_gate)
        {
            return (_state, _since, _lastCheckpoint, _failure);
        }
    }

    public void Set(JobState state, Exception? failure = null, RunnerCounters? counters = null)
    {
        lock (_gate)
        {
            _state = state;
            _since = time.GetUtcNow();
            _failure = failure;
            Counters = counters ?? Counters;
        }
    }

    public void Checkpointed()
    {
        lock (_gate)
        {
            _lastCheckpoint = time.GetUtcNow();
        }
    }
}

/// <summary>Every hosted job's status, in registration order.</summary>
internal sealed class StreamKitJobMonitor
{
    private readonly Lock _gate = new();
    private readonly List<JobStatus> _jobs = [];

    public IReadOnlyList<JobStatus> Jobs
    {
        get
        {
            lock (_gate)
            {
                return [.. _jobs];
            }
        }
    }

    public void Add(JobStatus status)
    {
        lock (_gate)
        {
            _jobs.Add(status);
        }
    }
}
