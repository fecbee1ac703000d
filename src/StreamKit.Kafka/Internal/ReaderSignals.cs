namespace StreamKit.Kafka.Internal;

/// <summary>Wakes the readers waiting for a <see cref="KafkaSource"/>'s messages: its round-robin reader and each partition's reader.</summary>
/// <remarks>Guarded by the <see cref="PartitionHandoff"/>'s lock. A reader's semaphore is released at most once per wait.</remarks>
internal sealed class ReaderSignals : IDisposable
{
    private readonly SemaphoreSlim _reader = new(0);
    private readonly Dictionary<PartitionBuffer, Waiter> _partitionReaders = [];
    private bool _readerWaiting;
    private int _partitionReadersWaiting;

    /// <summary>Marks the round-robin reader waiting; it then waits on the returned semaphore, outside the lock.</summary>
    public SemaphoreSlim BeginWaitLocked()
    {
        _readerWaiting = true;
        return _reader;
    }

    /// <summary>The round-robin reader's wait timed out: it is no longer waiting.</summary>
    public void EndWaitLocked() => _readerWaiting = false;

    /// <summary>Marks <paramref name="partition"/>'s reader waiting; it then waits on the returned semaphore, outside the lock.</summary>
    public SemaphoreSlim BeginWaitLocked(PartitionBuffer partition)
    {
        if (!_partitionReaders.TryGetValue(partition, out var waiter))
        {
            waiter = new Waiter();
            _partitionReaders.Add(partition, waiter);
        }

        waiter.Waiting = true;
        _partitionReadersWaiting++;
        return waiter.Signal;
    }

    /// <summary><paramref name="partition"/>'s reader timed out: it is no longer waiting, unless it was woken meanwhile.</summary>
    public void EndWaitLocked(PartitionBuffer partition)
    {
        var waiter = _partitionReaders[partition];
        if (waiter.Waiting)
        {
            waiter.Waiting = false;
            _partitionReadersWaiting--;
        }
    }

    /// <summary>Wakes every waiting reader.</summary>
    /// <remarks>
    /// Every partition reader, not only the partition that changed: the callers (a dry librdkafka, an end, a rebalance)
    /// mostly concern several, and a reader woken for nothing just waits again.
    /// </remarks>
    public void WakeAllLocked()
    {
        if (_partitionReadersWaiting > 0)
        {
            foreach (var waiter in _partitionReaders.Values)
            {
                if (waiter.Waiting)
                {
                    waiter.Waiting = false;
                    _partitionReadersWaiting--;
                    waiter.Signal.Release();
                }
            }
        }

        if (_readerWaiting)
        {
            _readerWaiting = false;
            _reader.Release();
        }
    }

    public void Dispose() => _reader.Dispose();

    private sealed class Waiter
    {
        public SemaphoreSlim Signal { get; } = new(0);

        public bool Waiting { get; set; }
    }
}
