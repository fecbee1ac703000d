using System.Diagnostics;

namespace StreamKit.Kafka.Internal;

/// <summary>Consecutive traced messages of a partition (offsets <see cref="First"/> to <see cref="Last"/>) that carried one trace context.</summary>
internal readonly record struct TraceRun(long First, long Last, ActivityContext Context);
