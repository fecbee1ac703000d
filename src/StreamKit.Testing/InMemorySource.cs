using System.Text;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Testing;

/// <summary>A record source over payloads held in memory, partition by partition, for tests of runners and pipelines.</summary>
/// <remarks>
/// <para>Each partition is an append-only list of records with increasing positions (0, 1, 2… unless given) and
/// optional timestamps and keys. A read returns records of one partition, taking partitions in turn, at most
/// <see cref="MaxBatchSize"/> at a time.</para>
/// <para>Bounded by default: <see cref="ReadAsync"/> returns <see langword="false"/> once everything was delivered. An
/// unbounded source waits up to <see cref="PollInterval"/> for new records and returns an empty batch when none came;
/// it ends after <see cref="Complete"/>.</para>
/// <para>To test restarts: <see cref="CrashAfterBatches"/> makes a read throw <see cref="SimulatedCrashException"/>;
/// <see cref="RedeliverFrom"/>, <see cref="RedeliverAll"/> and <see cref="RewindToCommitted"/> deliver records again
/// (at-least-once), and <see cref="IgnoreSeek"/> keeps that from being undone by the runner's seek after a restore.
/// Every commit is recorded in <see cref="Commits"/>.</para>
/// <para>Thread-safe: records may be added while a runner reads on another thread.</para>
/// </remarks>
public sealed class InMemorySource : IRecordSource
{
    private readonly Lock _lock = new();
    private readonly List<Partition> _partitions = [];
    private readonly Dictionary<string, Partition> _byName = [];
    private readonly Dictionary<string, long> _committed = [];
    private readonly List<IReadOnlyDictionary<string, long>> _commits = [];
    private TaskCompletionSource _arrived = NewSignal();
    private int _nextPartition;
    private bool _completed;

    /// <summary>Creates an empty source.</summary>
    /// <param name="name">The source's name, as dead letters report it.</param>
    /// <param name="bounded">Whether reads end once everything added has been delivered (otherwise: after <see cref="Complete"/>).</param>
    public InMemorySource(string name = "memory", bool bounded = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        IsBounded = bounded;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Whether reads end once everything added has been delivered.</summary>
    public bool IsBounded { get; }

    /// <summary>The most records per batch (the batch's capacity limits it too).</summary>
    /// <value>Defaults to <see cref="int.MaxValue"/>: as many as the batch holds.</value>
    public int MaxBatchSize
    {
        get;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            field = value;
        }
    } = int.MaxValue;

    /// <summary>How long an unbounded source waits for records before returning an empty batch.</summary>
    /// <value>Defaults to 10 milliseconds (real time).</value>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(10);

    /// <summary>When set, a read after this many delivered batches throws <see cref="SimulatedCrashException"/>: a process dying mid-stream.</summary>
    /// <remarks>Counts from <see cref="BatchesDelivered"/>; set it back to <see langword="null"/> to read on.</remarks>
    public int? CrashAfterBatches { get; set; }

    /// <summary>Called after each delivered batch with <see cref="BatchesDelivered"/>, e.g. to cancel a runner after a given batch.</summary>
    public Action<int>? BatchDelivered { get; set; }

    /// <summary>
    /// Whether <see cref="SeekAsync"/> is ignored, so delivery continues from where this source stands: a source that
    /// re-delivers from its own cursor after a restart (a broker's last committed offset, a retried function batch).
    /// </summary>
    public bool IgnoreSeek { get; set; }

    /// <summary>How many non-empty batches have been delivered.</summary>
    public int BatchesDelivered { get; private set; }

    /// <summary>How many records have been delivered, re-deliveries included.</summary>
    public long RecordsDelivered { get; private set; }

    /// <summary>The partitions, in the order they were first added.</summary>
    public IReadOnlyList<string> Partitions
    {
        get
        {
            lock (_lock)
            {
                var names = new string[_partitions.Count];
                for (var i = 0; i < names.Length; i++)
                {
                    names[i] = _partitions[i].Name;
                }

                return names;
            }
        }
    }

    /// <summary>The last position committed per partition.</summary>
    public IReadOnlyDictionary<string, long> CommittedPositions
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, long>(_committed);
            }
        }
    }

    /// <summary>Every commit received, oldest first, each a copy of the positions passed.</summary>
    public IReadOnlyList<IReadOnlyDictionary<string, long>> Commits
    {
        get
        {
            lock (_lock)
            {
                return [.. _commits];
            }
        }
    }

    /// <summary>Whether the source has been disposed.</summary>
    public bool IsDisposed { get; private set; }

    /// <summary>Appends a record to <paramref name="partition"/>, copying its bytes.</summary>
    /// <param name="partition">The partition's name; created on first use.</param>
    /// <param name="payload">The record's bytes.</param>
    /// <param name="timestamp">The source timestamp in Unix epoch milliseconds, or 0.</param>
    /// <param name="key">The record's key, or empty.</param>
    /// <param name="position">Its position; defaults to one after the partition's last (0 for the first).</param>
    /// <returns>The record's position.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="position"/> is not after the partition's last.</exception>
    public long Add(string partition, ReadOnlySpan<byte> payload, long timestamp = 0, ReadOnlySpan<byte> key = default, long? position = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(partition);
        TaskCompletionSource arrived;
        long added;
        lock (_lock)
        {
            if (_completed)
            {
                throw new InvalidOperationException("The source was completed: no records can be added.");
            }

            var target = GetOrAddPartition(partition);
            var last = target.Records.Count == 0 ? -1 : target.Records[^1].Position;
            added = position ?? last + 1;
            if (target.Records.Count > 0 && added <= last)
            {
                throw new ArgumentOutOfRangeException(nameof(position), added, $"Positions must increase: partition '{partition}' is at {last}.");
            }

            target.Records.Add(new Entry(payload.ToArray(), key.ToArray(), added, timestamp));
            arrived = _arrived;
            _arrived = NewSignal();
        }

        arrived.TrySetResult();
        return added;
    }

    /// <summary>Appends a record whose payload is <paramref name="payload"/> in UTF-8 (one JSON line, say).</summary>
    /// <param name="partition">The partition's name; created on first use.</param>
    /// <param name="payload">The record's text.</param>
    /// <param name="timestamp">The source timestamp in Unix epoch milliseconds, or 0.</param>
    /// <param name="position">Its position; defaults to one after the partition's last (0 for the first).</param>
    /// <returns>The record's position.</returns>
    public long Add(string partition, string payload, long timestamp = 0, long? position = null)
    {
        ArgumentNullException.ThrowIfNull(payload);
        return Add(partition, Encoding.UTF8.GetBytes(payload), timestamp, default, position);
    }

    /// <summary>Ends an unbounded source: once what was added is delivered, reads return <see langword="false"/>.</summary>
    public void Complete()
    {
        TaskCompletionSource arrived;
        lock (_lock)
        {
            _completed = true;
            arrived = _arrived;
        }

        arrived.TrySetResult();
    }

    /// <summary>Delivers <paramref name="partition"/> again from its first record at or after <paramref name="position"/>.</summary>
    /// <remarks>A later <see cref="SeekAsync"/> moves it on again unless <see cref="IgnoreSeek"/> is set.</remarks>
    public void RedeliverFrom(string partition, long position)
    {
        ArgumentException.ThrowIfNullOrEmpty(partition);
        lock (_lock)
        {
            var target = GetOrAddPartition(partition);
            target.Cursor = target.IndexFrom(position);
            target.SkipThrough = long.MinValue;
        }
    }

    /// <summary>Delivers every partition again from its first record.</summary>
    public void RedeliverAll()
    {
        lock (_lock)
        {
            foreach (var partition in _partitions)
            {
                partition.Cursor = 0;
                partition.SkipThrough = long.MinValue;
            }
        }
    }

    /// <summary>Delivers every partition again from just after its last committed position: what a broker does after a consumer dies.</summary>
    public void RewindToCommitted()
    {
        lock (_lock)
        {
            foreach (var partition in _partitions)
            {
                var committed = _committed.TryGetValue(partition.Name, out var position) ? position : long.MinValue;
                partition.Cursor = partition.IndexAfter(committed);
                partition.SkipThrough = long.MinValue;
            }
        }
    }

    /// <inheritdoc />
    /// <remarks>Each listed partition continues after its position, including records added later. Ignored when <see cref="IgnoreSeek"/> is set.</remarks>
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        if (IgnoreSeek)
        {
            return ValueTask.CompletedTask;
        }

        lock (_lock)
        {
            foreach (var (name, position) in positions)
            {
                var target = GetOrAddPartition(name);
                target.Cursor = target.IndexAfter(position);
                target.SkipThrough = position;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    /// <exception cref="SimulatedCrashException"><see cref="CrashAfterBatches"/> batches have been delivered.</exception>
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ObjectDisposedException.ThrowIf(IsDisposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (CrashAfterBatches is { } crashAfter && BatchesDelivered >= crashAfter)
        {
            throw new SimulatedCrashException($"Simulated crash after {BatchesDelivered} batches.");
        }

        while (true)
        {
            TaskCompletionSource arrived;
            lock (_lock)
            {
                if (TryFill(batch))
                {
                    break;
                }

                if (IsBounded || _completed)
                {
                    return false;
                }

                arrived = _arrived;
            }

            // Unbounded and nothing pending: wait a poll interval for records, as a broker's long poll would.
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(PollInterval);
            try
            {
                await arrived.Task.WaitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return true; // nothing arrived in time: an empty batch
            }
        }

        BatchesDelivered++;
        RecordsDelivered += batch.Count;
        BatchDelivered?.Invoke(BatchesDelivered);
        return true;
    }

    /// <inheritdoc />
    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        lock (_lock)
        {
            var copy = new Dictionary<string, long>(positions);
            _commits.Add(copy);
            foreach (var (name, position) in copy)
            {
                _committed[name] = position;
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        IsDisposed = true;
        return ValueTask.CompletedTask;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private Partition GetOrAddPartition(string name)
    {
        if (!_byName.TryGetValue(name, out var partition))
        {
            partition = new Partition(name);
            _byName.Add(name, partition);
            _partitions.Add(partition);
        }

        return partition;
    }

    private bool TryFill(RawRecordBatch batch)
    {
        for (var i = 0; i < _partitions.Count; i++)
        {
            var partition = _partitions[(_nextPartition + i) % _partitions.Count];
            partition.SkipSeeked();
            if (partition.Cursor >= partition.Records.Count)
            {
                continue;
            }

            var limit = Math.Min(MaxBatchSize, batch.Capacity);
            batch.Partition = partition.Name;
            while (batch.Count < limit && partition.Cursor < partition.Records.Count)
            {
                var entry = partition.Records[partition.Cursor++];
                batch.Add(entry.Payload, entry.Key, entry.Position, entry.Timestamp);
            }

            _nextPartition = (_nextPartition + i + 1) % _partitions.Count;
            return true;
        }

        return false;
    }

    private sealed class Partition(string name)
    {
        public string Name { get; } = name;

        public List<Entry> Records { get; } = [];

        public int Cursor { get; set; }

        // After a seek, records at or before this are not delivered, even ones added after the seek.
        public long SkipThrough { get; set; } = long.MinValue;

        public int IndexAfter(long position)
        {
            var index = 0;
            while (index < Records.Count && Records[index].Position <= position)
            {
                index++;
            }

            return index;
        }

        public int IndexFrom(long position)
        {
            var index = 0;
            while (index < Records.Count && Records[index].Position < position)
            {
                index++;
            }

            return index;
        }

        public void SkipSeeked()
        {
            while (Cursor < Records.Count && Records[Cursor].Position <= SkipThrough)
            {
                Cursor++;
            }
        }
    }

    private readonly record struct Entry(byte[] Payload, byte[] Key, long Position, long Timestamp);
}
