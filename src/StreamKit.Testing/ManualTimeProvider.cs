namespace StreamKit.Testing;

/// <summary>A wall clock that stands still until a test moves it: for idle timeouts, checkpoint intervals and timers.</summary>
/// <remarks>
/// <para>Give the same instance to <c>PipelineOptions.TimeProvider</c> and <c>PipelineRunnerOptions.TimeProvider</c>, then call
/// <see cref="Advance"/>. Timers made through <see cref="CreateTimer"/> (and so <c>Task.Delay(delay, provider)</c>)
/// fire during <see cref="Advance"/>, in due order, on the calling thread, each seeing the clock at its due time.</para>
/// <para>The clock never goes backwards. Thread-safe; its local time zone is UTC.</para>
/// </remarks>
public sealed class ManualTimeProvider : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly DateTimeOffset _origin;
    private DateTimeOffset _now;

    /// <summary>Creates a clock reading <paramref name="start"/>.</summary>
    /// <param name="start">The initial time; defaults to 2024-01-01T00:00:00Z.</param>
    public ManualTimeProvider(DateTimeOffset? start = null)
    {
        _origin = start ?? new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);
        _now = _origin;
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    /// <value>One tick per 100 ns, as <see cref="TimeSpan.TicksPerSecond"/>.</value>
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow()
    {
        lock (_lock)
        {
            return _now;
        }
    }

    /// <inheritdoc />
    /// <remarks>Ticks since the clock was created.</remarks>
    public override long GetTimestamp()
    {
        lock (_lock)
        {
            return (_now - _origin).Ticks;
        }
    }

    /// <summary>Moves the clock forward by <paramref name="delta"/>, firing every timer that falls due on the way.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delta"/> is negative.</exception>
    public void Advance(TimeSpan delta)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delta, TimeSpan.Zero);
        DateTimeOffset target;
        lock (_lock)
        {
            target = _now + delta;
        }

        AdvanceTo(target);
    }

    /// <summary>Sets the clock to <paramref name="value"/>, firing every timer that falls due on the way.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="value"/> is earlier than the current time.</exception>
    public void SetUtcNow(DateTimeOffset value)
    {
        lock (_lock)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, _now);
        }

        AdvanceTo(value);
    }

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        lock (_lock)
        {
            _timers.Add(timer);
        }

        if (dueTime == TimeSpan.Zero)
        {
            FireDue();
        }

        return timer;
    }

    private void AdvanceTo(DateTimeOffset target)
    {
        while (true)
        {
            ManualTimer? next = null;
            lock (_lock)
            {
                foreach (var timer in _timers)
                {
                    if (timer.Due is { } due && due <= target && (next is null || due < next.Due))
                    {
                        next = timer;
                    }
                }

                if (next is null)
                {
                    _now = target;
                    return;
                }

                if (next.Due > _now)
                {
                    _now = next.Due.Value;
                }
            }

            // Callbacks run outside the lock: they may read the clock, create timers or change this one.
            next.Fire();
        }
    }

    private void FireDue()
    {
        DateTimeOffset now;
        lock (_lock)
        {
            now = _now;
        }

        AdvanceTo(now);
    }

    private void Remove(ManualTimer timer)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        // Guarded by the owner's lock.
        private TimeSpan _period;
        private bool _disposed;

        /// <summary>When the timer fires next, or <see langword="null"/> when it is stopped. Guarded by the owner's lock.</summary>
        public DateTimeOffset? Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if ((dueTime < TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan) || (period < TimeSpan.Zero && period != Timeout.InfiniteTimeSpan))
            {
                throw new ArgumentOutOfRangeException(nameof(dueTime), "Times must be positive, zero or Timeout.InfiniteTimeSpan.");
            }

            lock (owner._lock)
            {
                if (_disposed)
                {
                    return false;
                }

                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
                _period = period;
                return true;
            }
        }

        public void Fire()
        {
            lock (owner._lock)
            {
                if (Due is not { } due)
                {
                    return;
                }

                Due = _period > TimeSpan.Zero && _period != Timeout.InfiniteTimeSpan ? due + _period : null;
            }

            callback(state);
        }

        public void Dispose()
        {
            lock (owner._lock)
            {
                Due = null;
                _disposed = true;
            }

            owner.Remove(this);
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
