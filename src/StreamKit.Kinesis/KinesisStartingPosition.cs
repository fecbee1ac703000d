namespace StreamKit.Kinesis;

/// <summary>Where a <see cref="KinesisSource"/> starts reading a shard it has no checkpoint for.</summary>
public enum KinesisStartingPosition
{
    /// <summary>The oldest record still retained: nothing in the stream is missed.</summary>
    TrimHorizon,

    /// <summary>Records arriving from the first start on: resolved once to that moment and stored, so a restart before the first commit starts at the same place.</summary>
    Latest,

    /// <summary>Records that arrived at or after <see cref="KinesisSourceOptions.StartTimestamp"/>.</summary>
    AtTimestamp,
}
