namespace StreamKit.Testing.Tests;

public class ManualTimeProviderTests
{
    private static readonly DateTimeOffset s_start = new(2030, 5, 6, 7, 8, 9, TimeSpan.Zero);

    [Fact]
    public void Advance_Delta_MovesUtcNowAndTimestamps()
    {
        var time = new ManualTimeProvider(s_start);
        var started = time.GetTimestamp();

        time.Advance(TimeSpan.FromSeconds(90));

        Assert.Equal(s_start.AddSeconds(90), time.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(90), time.GetElapsedTime(started));
        Assert.Equal(TimeZoneInfo.Utc, time.LocalTimeZone);
    }

    [Fact]
    public void Advance_Negative_ThrowsAndSetUtcNowCannotGoBack()
    {
        var time = new ManualTimeProvider(s_start);

        Assert.Throws<ArgumentOutOfRangeException>(() => time.Advance(TimeSpan.FromTicks(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => time.SetUtcNow(s_start.AddTicks(-1)));
        time.SetUtcNow(s_start.AddHours(1));
        Assert.Equal(s_start.AddHours(1), time.GetUtcNow());
    }

    [Fact]
    public void CreateTimer_Advance_FiresInDueOrderSeeingTheDueTime()
    {
        var time = new ManualTimeProvider(s_start);
        var fired = new List<(string Name, DateTimeOffset At)>();
        using var late = time.CreateTimer(_ => fired.Add(("late", time.GetUtcNow())), null, TimeSpan.FromSeconds(5), Timeout.InfiniteTimeSpan);
        using var early = time.CreateTimer(_ => fired.Add(("early", time.GetUtcNow())), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Empty(fired);
        time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal([("early", s_start.AddSeconds(2)), ("late", s_start.AddSeconds(5))], fired);
        Assert.Equal(s_start.AddSeconds(11), time.GetUtcNow());
    }

    [Fact]
    public void CreateTimer_Periodic_FiresOncePerPeriodUntilDisposed()
    {
        var time = new ManualTimeProvider(s_start);
        var count = 0;
        var timer = time.CreateTimer(_ => count++, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));

        time.Advance(TimeSpan.FromSeconds(3.5));
        Assert.Equal(3, count);

        timer.Dispose();
        time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(3, count);
        Assert.False(timer.Change(TimeSpan.Zero, TimeSpan.Zero));
    }

    [Fact]
    public void CreateTimer_Change_Reschedules()
    {
        var time = new ManualTimeProvider(s_start);
        var count = 0;
        using var timer = time.CreateTimer(_ => count++, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);

        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(0, count);
        Assert.True(timer.Change(TimeSpan.FromMinutes(1), Timeout.InfiniteTimeSpan));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(1, count);
    }

    [Fact]
    public async Task Delay_OnManualClock_CompletesOnlyWhenAdvanced()
    {
        var time = new ManualTimeProvider(s_start);

        var delay = Task.Delay(TimeSpan.FromSeconds(30), time);
        Assert.False(delay.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(30) - TimeSpan.FromTicks(1));
        Assert.False(delay.IsCompleted); // timers fire during Advance, on this thread: a tick short leaves it pending
        time.Advance(TimeSpan.FromTicks(1));

        await delay.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void CancellationTokenSource_OnManualClock_CancelsWhenAdvanced()
    {
        var time = new ManualTimeProvider(s_start);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10), time);

        time.Advance(TimeSpan.FromSeconds(9));
        Assert.False(cancel.IsCancellationRequested);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(cancel.IsCancellationRequested);
    }
}
