using StreamKit.State;

namespace StreamKit.Kinesis;

/// <summary>Settings of a <see cref="KinesisSource"/>: the stream, where to start, how fast to poll and where checkpoints go.</summary>
public sealed class KinesisSourceOptions : KinesisClientOptions
{
    /// <summary>The stream to read.</summary>
    public string StreamName { get; set; } = "";

    /// <summary>Where shards without a checkpoint start.</summary>
    /// <value>Defaults to <see cref="KinesisStartingPosition.TrimHorizon"/>.</value>
    public KinesisStartingPosition StartingPosition { get; set; }

    /// <summary>The arrival time to start at with <see cref="KinesisStartingPosition.AtTimestamp"/>.</summary>
    public DateTimeOffset? StartTimestamp { get; set; }

    /// <summary>Where the source keeps its per-shard checkpoints (sequence number and ordinal); usually the runner's store.</summary>
    /// <remarks>
    /// Without one, every start begins at <see cref="StartingPosition"/> and positions restart at 1, so a runner
    /// checkpoint from an earlier run would skip records: run without a state store in the runner too, or set one here.
    /// </remarks>
    public IStateStore? StateStore { get; set; }

    /// <summary>The key of the source's checkpoint in <see cref="StateStore"/>.</summary>
    /// <value>Defaults to <c>kinesis-source:{StreamName}</c>; set it when several pipelines read the same stream into one store.</value>
    public string? CheckpointKey { get; set; }

    /// <summary>Records asked for per GetRecords call.</summary>
    /// <value>Defaults to 10,000, the service's maximum.</value>
    public int MaxRecordsPerCall { get; set; } = 10_000;

    /// <summary>The shortest time between two GetRecords calls on one shard while it has a backlog.</summary>
    /// <remarks>The service allows 5 calls per second per shard, shared by every consumer of the stream; below 200 ms is refused.</remarks>
    /// <value>Defaults to 200 ms.</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long to wait before polling a shard again after a call found nothing new.</summary>
    /// <value>Defaults to 1 second (AWS's recommendation).</value>
    public TimeSpan IdlePollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often ListShards looks for shards created by a reshard; a shard that ends triggers a look at once.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan ShardDiscoveryInterval { get; set; } = TimeSpan.FromSeconds(30);

    internal string ResolveCheckpointKey() => CheckpointKey ?? $"kinesis-source:{StreamName}";

    internal void Validate()
    {
        ValidateClient();
        ArgumentException.ThrowIfNullOrWhiteSpace(StreamName, nameof(StreamName));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRecordsPerCall, nameof(MaxRecordsPerCall));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxRecordsPerCall, 10_000, nameof(MaxRecordsPerCall));
        ArgumentOutOfRangeException.ThrowIfLessThan(PollInterval, TimeSpan.FromMilliseconds(200), nameof(PollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThan(IdlePollInterval, PollInterval, nameof(IdlePollInterval));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ShardDiscoveryInterval, TimeSpan.Zero, nameof(ShardDiscoveryInterval));
        if (StartingPosition == KinesisStartingPosition.AtTimestamp && StartTimestamp is null)
        {
            throw new ArgumentException("StartingPosition AtTimestamp needs StartTimestamp.", nameof(StartTimestamp));
        }
    }
}
