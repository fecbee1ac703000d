namespace StreamKit.Runtime;

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
