using Microsoft.Extensions.Logging;

namespace StreamKit.Hosting;

/// <summary>The hosting package's log messages, source-generated (no boxing, no formatting unless the level is enabled).</summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Information, "StreamKit job {Job} starting: reading {Source}")]
    public static partial void Starting(ILogger logger, string job, string source);

    [LoggerMessage(2, LogLevel.Debug, "StreamKit job {Job} checkpoint {Checkpoint} in {DurationMs:F1} ms: {Read} read, {Processed} processed, {DeadLettered} dead-lettered")]
    public static partial void Checkpointed(ILogger logger, string job, long checkpoint, double durationMs, long read, long processed, long deadLettered);

    [LoggerMessage(3, LogLevel.Information, "StreamKit job {Job} stopped after its final checkpoint: {Read} read, {Processed} processed, {DeadLettered} dead-lettered")]
    public static partial void Stopped(ILogger logger, string job, long read, long processed, long deadLettered);

    [LoggerMessage(4, LogLevel.Information, "StreamKit job {Job} completed (its source ended): {Read} read, {Processed} processed, {DeadLettered} dead-lettered")]
    public static partial void Completed(ILogger logger, string job, long read, long processed, long deadLettered);

    [LoggerMessage(5, LogLevel.Warning, "StreamKit job {Job} failed (failure {Failures} in a row); restarting from its last checkpoint in {Delay}")]
    public static partial void Restarting(ILogger logger, Exception exception, string job, int failures, TimeSpan delay);

    [LoggerMessage(6, LogLevel.Critical, "StreamKit job {Job} failed; stopping the host")]
    public static partial void Failed(ILogger logger, Exception exception, string job);
}
