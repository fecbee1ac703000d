using StreamKit.State;

namespace StreamKit.Windows;

/// <summary>
/// Per-partition event-time progress: a partition's watermark is the largest event time it has shown minus the
/// allowed out-of-orderness; the pipeline's watermark is the smallest over partitions that are not idle.
/// </summary>
/// <remarks>
/// A partition that has sent nothing for the idle timeout (wall clock, from the <see cref="TimeProvider"/>) stops
/// holding the watermark back until it sends again. A partition registered before its first record (a file not
/// yet opened) holds the watermark back until it sends data or finishes, however long that takes: its events may
/// be older than everything seen so far. A finished partition no longer counts. The watermark never goes backwards.
/// </remarks>
internal sealed class WatermarkTracker(long maxOutOfOrderMs, TimeSpan idleTimeout, TimeProvider time)
{
    private const int StateVersion = 2;
    private long[] _maxEventTime = [];
    private long[] _lastActive = [];
    private PartitionState[] _states = [];
    private int _partitions;
    private long _watermark = long.MinValue;

    public long Watermark => _watermark;

    public void Observe(int partition, long maxEventTime)
    {
        if (partition >= _partitions)
        {
            AddPartitions(partition + 1);
        }

        if (maxEventTime > _maxEventTime[partition])
        {
            _maxEventTime[partition] = maxEventTime;
        }

        _states[partition] = PartitionState.Active;
        _lastActive[partition] = time.GetTimestamp();
    }

    /// <summary>Announces a partition before its first record: it holds the watermark back until it has data or finishes.</summary>
    public void Register(int partition)
    {
        if (partition >= _partitions)
        {
            AddPartitions(partition + 1);
        }

        // A partition that had finished before a restore is held again: it may have grown since (a topic read
        // again to its new end), and the source will end it again.
        if (_states[partition] == PartitionState.Finished || (_states[partition] == PartitionState.Active && _maxEventTime[partition] == long.MinValue))
        {
            _states[partition] = PartitionState.Pending;
        }
    }

    /// <summary>The partition has ended: it no longer holds the watermark back.</summary>
    public void Finish(int partition)
    {
        if (partition >= _partitions)
        {
            AddPartitions(partition + 1);
        }

        _states[partition] = PartitionState.Finished;
    }

    /// <summary>Recomputes the watermark; returns whether it moved.</summary>
    public bool Advance()
    {
        var candidate = long.MaxValue;
        var now = time.GetTimestamp();
        var any = false;
        for (var p = 0; p < _partitions; p++)
        {
            if (_states[p] == PartitionState.Pending)
            {
                return false; // unread input may be older than anything seen
            }

            if (_states[p] == PartitionState.Finished || _maxEventTime[p] == long.MinValue || (idleTimeout != Timeout.InfiniteTimeSpan && time.GetElapsedTime(_lastActive[p], now) >= idleTimeout))
            {
                continue; // never seen data, or idle: must not hold the others back
            }

            any = true;
            candidate = Math.Min(candidate, SaturatingSubtract(_maxEventTime[p], maxOutOfOrderMs));
        }

        if (!any || candidate <= _watermark)
        {
            return false;
        }

        _watermark = candidate;
        return true;
    }

    /// <summary>Moves the watermark to <paramref name="watermark"/> if that is later; returns whether it moved.</summary>
    public bool Force(long watermark)
    {
        if (watermark <= _watermark)
        {
            return false;
        }

        _watermark = watermark;
        return true;
    }

    public void WriteState(StateWriter writer)
    {
        writer.WriteInt32(StateVersion);
        writer.WriteInt64(_watermark);
        writer.WriteSpan<long>(_maxEventTime.AsSpan(0, _partitions));
        writer.WriteSpan<PartitionState>(_states.AsSpan(0, _partitions));
    }

    public void ReadState(ref StateReader reader)
    {
        reader.Expect(StateVersion, "watermark state version");
        _watermark = reader.ReadInt64();
        var maxima = reader.ReadArray<long>();
        var states = reader.ReadArray<PartitionState>();
        if (states.Length != maxima.Length)
        {
            throw new InvalidDataException("Corrupt state snapshot: watermark partition counts differ.");
        }

        _partitions = 0;
        AddPartitions(maxima.Length);
        maxima.CopyTo(_maxEventTime, 0);
        states.CopyTo(_states, 0);
    }

    private void AddPartitions(int count)
    {
        if (count > _maxEventTime.Length)
        {
            var size = Math.Max(count, _maxEventTime.Length * 2);
            Array.Resize(ref _maxEventTime, size);
            Array.Resize(ref _lastActive, size);
            Array.Resize(ref _states, size);
        }

        var now = time.GetTimestamp();
        for (var p = _partitions; p < count; p++)
        {
            _maxEventTime[p] = long.MinValue;
            _lastActive[p] = now;
            _states[p] = PartitionState.Active;
        }

        _partitions = count;
    }

    private static long SaturatingSubtract(long value, long amount) => value < long.MinValue + amount ? long.MinValue + 1 : value - amount;

    private enum PartitionState : byte
    {
        Active,
        Pending,
        Finished,
    }
}
