using Microsoft.Extensions.Options;

namespace StreamKit.Hosting;

/// <summary>Settings of one hosted pipeline job: polling and checkpointing, failure handling, and health. Named options: the name is the job's.</summary>
/// <remarks>Validated when the host starts, without reflection; an invalid value fails start-up with an <c>OptionsValidationException</c> naming the job and every invalid setting.</remarks>
public sealed class StreamKitJobOptions
{
    /// <summary>Records per batch asked of the source.</summary>
    /// <value>Defaults to 1024; from 1 to 1,000,000.</value>
    public int BatchSize { get; set; } = 1024;

    /// <summary>How often to checkpoint (flush sinks, save state with positions, commit the source).</summary>
    /// <value>Defaults to 10 seconds; must be positive.</value>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Also checkpoint after this many batches; 0 turns the count off.</summary>
    public int CheckpointEveryBatches { get; set; }

    /// <summary>Take event time from the source's record timestamps instead of the pipeline's event-time selector.</summary>
    public bool UseSourceTimestamps { get; set; }

    /// <summary>The checkpoint's key in the state store.</summary>
    /// <value>Defaults to <see langword="null"/>: the pipeline's name.</value>
    public string? StateKey { get; set; }

    /// <summary>What to do when a run fails.</summary>
    /// <value>Defaults to <see cref="JobFailureAction.StopHost"/>.</value>
    public JobFailureAction OnFailure { get; set; } = JobFailureAction.StopHost;

    /// <summary>With <see cref="JobFailureAction.Restart"/>: the wait before the first restart, doubled after each further failure.</summary>
    /// <value>Defaults to 1 second; must be positive.</value>
    public TimeSpan RestartDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>With <see cref="JobFailureAction.Restart"/>: the longest wait between restarts.</summary>
    /// <value>Defaults to 1 minute; at least <see cref="RestartDelay"/>.</value>
    public TimeSpan MaxRestartDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>With <see cref="JobFailureAction.Restart"/>: failures in a row after which the job gives up (reports Unhealthy and stops the host).</summary>
    /// <remarks>A checkpoint completing resets the count, so only failures without progress in between add up.</remarks>
    /// <value>Defaults to 10; at least 0.</value>
    public int MaxRestarts { get; set; } = 10;

    /// <summary>Stop the host once a bounded source is read to its end (run-to-completion workers, batch jobs).</summary>
    /// <value>Defaults to <see langword="false"/>: the host keeps running other jobs.</value>
    public bool StopHostWhenCompleted { get; set; }

    /// <summary>The health check reports Degraded when no checkpoint completed within this many checkpoint intervals.</summary>
    /// <value>Defaults to 3; at least 1.</value>
    public double DegradedAfterIntervals { get; set; } = 3;
}

/// <summary>Checks <see cref="StreamKitJobOptions"/> at start-up, without reflection (trimming- and AOT-safe), reporting every invalid setting at once.</summary>
internal sealed class StreamKitJobOptionsValidator : IValidateOptions<StreamKitJobOptions>
{
    public ValidateOptionsResult Validate(string? name, StreamKitJobOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var builder = new ValidateOptionsResultBuilder();
        var job = $"StreamKit job '{name}'";
        if (options.BatchSize is < 1 or > 1_000_000)
        {
            builder.AddError($"{job}: BatchSize must be from 1 to 1000000 (was {options.BatchSize}).", nameof(options.BatchSize));
        }

        if (options.CheckpointInterval <= TimeSpan.Zero)
        {
            builder.AddError($"{job}: CheckpointInterval must be positive (was {options.CheckpointInterval}).", nameof(options.CheckpointInterval));
        }

        if (options.CheckpointEveryBatches < 0)
        {
            builder.AddError($"{job}: CheckpointEveryBatches must be 0 (off) or more (was {options.CheckpointEveryBatches}).", nameof(options.CheckpointEveryBatches));
        }

        if (options.RestartDelay <= TimeSpan.Zero)
        {
            builder.AddError($"{job}: RestartDelay must be positive (was {options.RestartDelay}).", nameof(options.RestartDelay));
        }

        if (options.MaxRestartDelay < options.RestartDelay)
        {
            builder.AddError($"{job}: MaxRestartDelay ({options.MaxRestartDelay}) must be at least RestartDelay ({options.RestartDelay}).", nameof(options.MaxRestartDelay));
        }

        if (options.MaxRestarts < 0)
        {
            builder.AddError($"{job}: MaxRestarts must be 0 or more (was {options.MaxRestarts}).", nameof(options.MaxRestarts));
        }

        if (!(options.DegradedAfterIntervals >= 1))
        {
            builder.AddError($"{job}: DegradedAfterIntervals must be at least 1 (was {options.DegradedAfterIntervals}).", nameof(options.DegradedAfterIntervals));
        }

        if (!Enum.IsDefined(options.OnFailure))
        {
            builder.AddError($"{job}: OnFailure must be StopHost or Restart (was {options.OnFailure}).", nameof(options.OnFailure));
        }

        return builder.Build();
    }
}
