using Clickstream;

namespace StreamKit.Benchmarks.Suite;

/// <summary>How the batch-at-a-time variants (hand-written and StreamKit) receive the data.</summary>
/// <remarks>
/// A real source hands the pipeline a fresh buffer of decoded records per batch, and the pipeline may reorder and
/// overwrite it. Replaying one array therefore needs a copy per batch, and replaying it into long-lived state
/// needs time to move on, so each batch is copied into a scratch buffer with its event times shifted by the
/// invocation's offset. The hand-written loop and StreamKit both receive their batches this way, so the copy is a
/// cost they share; <see cref="HarnessBenchmarks"/> measures it alone.
/// </remarks>
public static class Feed
{
    /// <summary>Records per batch, as a Kinesis/Kafka poll or a function invocation would deliver them.</summary>
    public const int BatchSize = 1024;

    /// <summary>Copies <paramref name="source"/> into <paramref name="batch"/>, shifting event time by <paramref name="offsetMs"/>.</summary>
    public static void Deliver(ReadOnlySpan<ClickEvent> source, Span<ClickEvent> batch, long offsetMs)
    {
        batch = batch[..source.Length];
        for (var i = 0; i < source.Length; i++)
        {
            ref var target = ref batch[i];
            target = source[i];
            target.Ts += offsetMs;
        }
    }
}
