using StreamKit.Testing;

namespace StreamKit.TestSupport;

/// <summary>
/// A <see cref="ManualTimeProvider"/> that also says when the code under test starts waiting on it: each timer made
/// (a <c>Task.Delay</c>, a retry's backoff) is counted and announced, so a test advances the clock once the wait has begun
/// instead of advancing in a loop and hoping.
/// </summary>
/// <remarks>
/// Give this to the code under test and move the clock with <see cref="Advance"/>. A test that knows the code under test
/// makes a timer only to wait (a retry delay) reads "timer N made" as "the Nth wait began".
/// </remarks>
public sealed class ObservedClock : TimeProvider
{
    private readonly ManualTimeProvider _clock = new();
    private int _timersCreated;

    /// <summary>Signalled each time a timer is made.</summary>
    public Pulse TimerCreated { get; } = new();

    /// <summary>How many timers have been made so far.</summary>
    public int TimersCreated => Volatile.Read(ref _timersCreated);

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => _clock.LocalTimeZone;

    /// <inheritdoc />
    public override long TimestampFrequency => _clock.TimestampFrequency;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => _clock.GetUtcNow();

    /// <inheritdoc />
    public override long GetTimestamp() => _clock.GetTimestamp();

    /// <summary>Moves the clock forward, firing every timer that falls due on the way (see <see cref="ManualTimeProvider.Advance"/>).</summary>
    public void Advance(TimeSpan delta) => _clock.Advance(delta);

    /// <summary>Waits until at least <paramref name="count"/> timers have been made (or <paramref name="orUntil"/> ends).</summary>
    public Task WaitForTimersAsync(int count, Task? orUntil = null) =>
        TimerCreated.WaitUntilAsync(() => TimersCreated >= count || orUntil?.IsCompleted == true, $"timer {count}", watched: orUntil is null ? [] : [orUntil]);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = _clock.CreateTimer(callback, state, dueTime, period);
        Interlocked.Increment(ref _timersCreated);
        TimerCreated.Notify();
        return timer;
    }
}
