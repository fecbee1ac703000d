using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>How a <see cref="PipelineRunner{T}"/> polls, checkpoints and where it keeps state.</summary>
public sealed class PipelineRunnerOptions
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
