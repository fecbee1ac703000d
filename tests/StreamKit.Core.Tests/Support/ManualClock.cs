namespace StreamKit.Core.Tests.Support;

/// <summary>A wall clock the test moves by hand (milliseconds), for partition idleness.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _now;

    public override long TimestampFrequency => 1000;

    public override long GetTimestamp() => _now;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddMilliseconds(_now);

    public void Advance(long milliseconds) => _now += milliseconds;
}
