using System.Diagnostics.CodeAnalysis;
using System.Runtime.ExceptionServices;
using Confluent.Kafka;

namespace StreamKit.Kafka.Internal;

/// <summary>
/// A <see cref="KafkaSource"/>'s partitions between its consume thread and its readers: a <see cref="PartitionBuffer"/>
/// per partition, which ones are assigned, how batches are taken from them (round-robin, priming, ends), pausing and
/// resuming, and the consume loop's state (stop requested, failure, exited).
/// </summary>
/// <remarks>Guarded by <see cref="Gate"/>; a member whose name ends in <c>Locked</c> expects its caller to hold it.</remarks>
internal sealed partial class PartitionHandoff : IDisposable
{
    /// <summary>During a backlog, readers are woken after this many messages (and whenever librdkafka has no more).</summary>
    private const int WakeEvery = 256;

    /// <summary>Where partitions are not listed up front: how long batches stay one message long while waiting for every newly assigned partition to be heard from.</summary>
    private const int PrimingTimeoutMs = 5000;

    /// <summary>
    /// How long the consume thread waits for the readers to drain a full partition before pausing it. Long enough for a
    /// pipeline that merely runs behind (it drains half a default buffer in tens of milliseconds), short enough that
    /// the other partitions, whose messages queue behind the full one's in librdkafka, are not held up for long.
    /// </summary>
    private const int RoomTimeoutMs = 500;

    private readonly KafkaSourceOptions _options;
    private readonly IConsumer<Staged, Staged> _consumer;
    private readonly string _sourceName;
    private readonly int _resumeBelow;
    private readonly Dictionary<string, PartitionBuffer?[]> _byTopic = new(StringComparer.Ordinal);
    private readonly Dictionary<string, PartitionBuffer> _byName = new(StringComparer.Ordinal);
    private readonly List<PartitionBuffer> _active = [];
    private readonly ReaderSignals _readers = new();
    private readonly ManualResetEventSlim _room = new();
    private readonly ManualResetEventSlim _stopSignal = new();
    private PartitionBuffer? _awaitingRoom;
    private ExceptionDispatchInfo? _failure;
    private volatile bool _stopRequested;
    private bool _loopExited;
    private bool _assignedOnce;
    private int _cursor;
    private long _pauses;
    private int _sinceWake;
    private long _primingUntil; // Environment.TickCount64; 0 when not priming

    public PartitionHandoff(KafkaSourceOptions options, IConsumer<Staged, Staged> consumer, string sourceName)
    {
        _options = options;
        _consumer = consumer;
        _sourceName = sourceName;
        _resumeBelow = options.MaxBufferedMessagesPerPartition / 2;
    }

    public Lock Gate { get; } = new();

    /// <summary>The chunks every partition's buffer rents from.</summary>
    public ChunkPool Pool { get; } = new();

    /// <summary>How many times a partition was paused because its buffer stayed full for <see cref="RoomTimeoutMs"/>.</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>Set when the source is disposed or the client failed fatally: the consume loop ends at its next poll.</summary>
    public bool StopRequested => _stopRequested;

    /// <summary>Whether the consume loop has ended (it no longer fills buffers).</summary>
    public bool HasLoopExitedLocked => _loopExited;

    public void RequestStop()
    {
        _stopRequested = true;
        _room.Set();
        _stopSignal.Set();
    }

    /// <summary>Waits up to <paramref name="timeout"/> for a stop to be requested; returns whether one was.</summary>
    public bool WaitForStop(TimeSpan timeout) => _stopSignal.Wait(timeout);

    /// <summary>Keeps the first failure; every later read rethrows it.</summary>
    public void FailLocked(Exception exception) => _failure ??= ExceptionDispatchInfo.Capture(exception);

    public void ThrowIfFailedLocked() => _failure?.Throw();

    /// <summary>The consume loop has ended: wakes readers so they see it.</summary>
    public void MarkLoopExitedLocked()
    {
        _loopExited = true;
        WakeReadersLocked();
    }

    public int CountBufferedLocked()
    {
        var count = 0;
        foreach (var partition in _active)
        {
            count += partition.Count;
        }

        return count;
    }

    public string[] AssignedNamesLocked()
    {
        var names = new string[_active.Count];
        for (var i = 0; i < names.Length; i++)
        {
            names[i] = _active[i].Name;
        }

        return names;
    }

    public PartitionBuffer? Find(string topic, int partition)
    {
        return _byTopic.TryGetValue(topic, out var partitions) && (uint)partition < (uint)partitions.Length ? partitions[partition] : null;
    }

    public bool TryGet(string name, [NotNullWhen(true)] out PartitionBuffer? partition) => _byName.TryGetValue(name, out partition);

    /// <summary>The partition's buffer, created on first sight; one instance (and one name string) for the source's lifetime.</summary>
    public PartitionBuffer GetOrAdd(TopicPartition tp)
    {
        if (!_byTopic.TryGetValue(tp.Topic, out var partitions) || partitions.Length <= tp.Partition.Value)
        {
            var bigger = new PartitionBuffer?[Math.Max(tp.Partition.Value + 1, (partitions?.Length ?? 0) * 2)];
            partitions?.CopyTo(bigger, 0);
            _byTopic[tp.Topic] = partitions = bigger;
        }

        if (partitions[tp.Partition.Value] is not { } partition)
        {
            partition = new PartitionBuffer(tp);
            partitions[tp.Partition.Value] = partition;
            _byName[partition.Name] = partition;
        }

        return partition;
    }

    /// <summary>Registers an assigned partition that starts at <paramref name="start"/> (<see cref="Offset.Unset"/>: the group's committed offset).</summary>
    public void ActivateLocked(PartitionBuffer partition, Offset start)
    {
        partition.Assigned = true;
        partition.Paused = false;
        partition.Done = partition.End >= 0 && start != Offset.Unset && start.Value >= partition.End;
        if (!_active.Contains(partition))
        {
            _active.Add(partition);
        }
    }

    /// <summary>An assignment is registered: primes when <paramref name="prime"/> and a partition has not been heard from, and wakes the readers.</summary>
    /// <param name="prime">Whether the runner did not learn the partitions up front (see <see cref="KafkaSource"/>'s remarks on priming).</param>
    public void AssignmentDoneLocked(bool prime)
    {
        _assignedOnce = true;
        if (prime)
        {
            foreach (var partition in _active)
            {
                if (!partition.Primed)
                {
                    _primingUntil = Environment.TickCount64 + PrimingTimeoutMs;
                    break;
                }
            }
        }

        WakeReadersLocked();
    }

    /// <summary>Drops the revoked partitions' buffers (their next owner reads them again from the committed offset) and wakes the readers.</summary>
    public void RevokeLocked(List<TopicPartitionOffset> revoked)
    {
        foreach (var tpo in revoked)
        {
            if (Find(tpo.Topic, tpo.Partition.Value) is { } partition)
            {
                partition.Assigned = false;
                if (partition.Paused)
                {
                    // librdkafka keeps a partition paused across an unassign and a later assign: resume it now, or a
                    // partition assigned back here would never be fetched again (seen on the mock broker).
                    SetPausedLocked(partition, false);
                }

                partition.Paused = false;
                partition.Clear(Pool);
                _active.Remove(partition);
            }
        }

        _cursor = 0;
        WakeReadersLocked();
    }

    /// <summary>
    /// The message at <paramref name="offset"/> was buffered in <paramref name="partition"/>: pauses the partition when
    /// that was its last before the end offset (bounded), and wakes the readers when it is time.
    /// </summary>
    /// <returns>Whether the partition's buffer is full: the consume thread then calls <see cref="WaitForRoom"/> before polling again.</returns>
    public bool BufferedLocked(PartitionBuffer partition, long offset)
    {
        var full = false;
        if (partition.End >= 0 && offset >= partition.End - 1)
        {
            partition.Done = true;
            SetPausedLocked(partition, true);
        }
        else if (!partition.Paused && partition.Count >= _options.MaxBufferedMessagesPerPartition)
        {
            full = true;
        }

        // Waking the reader per message costs a thread hop each (measured: batches of 4 messages and a third less
        // throughput on 2 cores); during a backlog wake it every WakeEvery messages, and when librdkafka runs dry.
        if (++_sinceWake >= WakeEvery || full || partition.Paused || (_primingUntil != 0 && !partition.Primed))
        {
            WakeReadersLocked();
        }

        return full;
    }

    /// <summary>
    /// Consume thread, not holding <see cref="Gate"/>: waits until the readers have drained the full
    /// <paramref name="partition"/> to half, pausing it only when that takes longer than <see cref="RoomTimeoutMs"/>.
    /// </summary>
    /// <remarks>
    /// Not polling is what keeps the prefetched messages: librdkafka goes on fetching until its own queue is full
    /// (<c>queued.max.messages.kbytes</c>, <c>queued.min.messages</c>) and then stops, and nothing it fetched is lost.
    /// Pausing instead makes librdkafka drop what it had prefetched for the partition and fetch it again on resume
    /// (measured on the mock broker: 7–8 pauses turned a 0.3–0.5 s read of 120,000 messages into 1–2 s). Pausing stays
    /// as the last resort for a partition whose reader does not keep up at all (a stalled per-partition runner), so the
    /// other partitions' messages, which librdkafka queues behind it, keep flowing. Rebalance callbacks wait for the
    /// next poll, at most <see cref="RoomTimeoutMs"/> later.
    /// </remarks>
    public void WaitForRoom(PartitionBuffer partition)
    {
        lock (Gate)
        {
            if (partition.Count <= _resumeBelow || _stopRequested)
            {
                return;
            }

            _awaitingRoom = partition;
            _room.Reset();
        }

        _room.Wait(RoomTimeoutMs);
        lock (Gate)
        {
            _awaitingRoom = null;
            if (!_stopRequested && partition is { Assigned: true, Paused: false } && partition.Count > _resumeBelow)
            {
                SetPausedLocked(partition, true);
                _pauses++;
            }
        }
    }

    /// <summary>Whether partitions were assigned and every one is read to its end offset (bounded): nothing more will be consumed.</summary>
    public bool AllDoneLocked()
    {
        if (!_assignedOnce)
        {
            return false;
        }

        foreach (var partition in _active)
        {
            if (!partition.Done)
            {
                return false;
            }
        }

        return true;
    }

    public void WakeReadersLocked()
    {
        _sinceWake = 0;
        _readers.WakeAllLocked();
    }

    public void SetPausedLocked(PartitionBuffer partition, bool paused)
    {
        try
        {
            if (paused)
            {
                _consumer.Pause(partition.Alone);
            }
            else
            {
                _consumer.Resume(partition.Alone);
            }

            partition.Paused = paused;
        }
        catch (KafkaException e)
        {
            // The partition is being revoked: the rebalance settles its state.
            _options.OnError?.Invoke(e.Error);
        }
    }

    public void Dispose()
    {
        _readers.Dispose();
        _room.Dispose();
        _stopSignal.Dispose();
    }
}
