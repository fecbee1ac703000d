namespace StreamKit.Hosting;

/// <summary>What a hosted job does when its run fails.</summary>
public enum JobFailureAction
{
    /// <summary>Log the failure, report the job Unhealthy and stop the host (a supervisor such as Kubernetes or IoT Edge restarts the process).</summary>
    StopHost,

    /// <summary>Log the failure and run the job again from its last checkpoint after an exponential backoff, up to <see cref="StreamKitJobOptions.MaxRestarts"/> times.</summary>
    Restart,
}
