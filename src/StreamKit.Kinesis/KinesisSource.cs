using System.Buffers;
using System.Text.Json;
using StreamKit.Diagnostics;
using StreamKit.Kinesis.Internal;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;

namespace StreamKit.Kinesis;

/// <summary>Reads a Kinesis data stream for long-running hosts: discovers shards, polls them with GetRecords, checkpoints per shard.</summary>
/// <remarks>
/// <para><b>Positions.</b> StreamKit positions are <see cref="long"/>; Kinesis sequence numbers are decimal strings of up to
/// 56 digits. Each shard's records therefore get consecutive ordinals (1, 2, 3, ...) as positions, anchored to sequence
/// numbers by the source's own checkpoint in <see cref="KinesisSourceOptions.StateStore"/>: per shard, the last committed
/// record's sequence number and ordinal. It is saved in <see cref="CommitAsync"/>, which the runner calls only after it
/// saved the pipeline state, so it never runs ahead of that state. After a restart a shard resumes
/// <c>AFTER_SEQUENCE_NUMBER</c> of its checkpointed sequence with ordinals continuing from the checkpointed ordinal:
/// the same record always gets the same ordinal, and the runner's rule of skipping positions at or before the ones it
/// applied stays exact. A shard without a checkpoint gets one that records its starting point (ordinal 0) before any
/// of its records is handed out, and <see cref="KinesisStartingPosition.Latest"/> is resolved once to a timestamp and
/// stored, so a crash before the first commit replays the same records with the same ordinals.</para>
/// <para><b>Reshards.</b> A closed shard that has been read to its end reports <see cref="RawRecordBatch.EndOfPartition"/>
/// (so it stops holding the watermark back) and is marked finished in the checkpoint once its last record is committed.
/// A child shard is read only after every parent (ParentShardId, AdjacentParentShardId) has been read to its end, so
/// records of one partition key stay in order across a split or merge. New shards appear as new partitions.</para>
/// <para><b>Polling.</b> One GetRecords call per <see cref="ReadAsync"/>, round-robin over readable shards, at most one call
/// per shard every <see cref="KinesisSourceOptions.PollInterval"/> (the service allows five per second per shard) and
/// every <see cref="KinesisSourceOptions.IdlePollInterval"/> when a shard had nothing. Throttling and 5xx answers are
/// retried with exponential backoff and jitter; an expired iterator is replaced by one <c>AFTER_SEQUENCE_NUMBER</c> of
/// the last record read. The record's <c>ApproximateArrivalTimestamp</c> is its source timestamp
/// (<see cref="PipelineRunnerOptions.UseSourceTimestamps"/>) and its partition key is its key.</para>
/// <para>Called from one thread at a time, as <see cref="IRecordSource"/> requires.</para>
/// </remarks>
public sealed class KinesisSource : IRecordSource
{
    private const int CheckpointMagic = 0x4B534331; // "KSC1"
    private readonly KinesisSourceOptions _options;
    private readonly KinesisClient _client;
    private readonly TimeProvider _time;
    private readonly string _stream;
    private readonly Dictionary<string, Shard> _shards = new(StringComparer.Ordinal);
    private readonly List<Shard> _order = [];
    private readonly ArrayBufferWriter<byte> _requestBuffer = new(256);
    private readonly Utf8JsonWriter _requestWriter;
    private byte[] _scratch = ArrayPool<byte>.Shared.Rent(4096);
    private string? _checkpointVersion;
    private IteratorKind _startKind;
    private long _startTimestampMs;
    private bool _started;
    private bool _discoverNow;
    private long _lastDiscovery;
    private int _next;

    /// <summary>Creates a source; nothing is called until the first read.</summary>
    public KinesisSource(KinesisSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _options = options;
        _client = new KinesisClient(options);
        _time = options.TimeProvider;
        _stream = options.StreamName;
        _requestWriter = new Utf8JsonWriter(_requestBuffer);
        Name = "kinesis:" + options.StreamName;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Requests retried after throttling, 5xx answers or connection failures (for diagnostics).</summary>
    public long Retries => _client.Retries;

    /// <inheritdoc />
    /// <remarks>Not needed here: the source resumes from its own checkpoint, which never runs ahead of the runner's (see remarks on the class).</remarks>
    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    /// <inheritdoc />
    /// <exception cref="KinesisException">A call failed in a way retries did not fix (stream gone, access denied, retries exhausted).</exception>
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (!_started)
        {
            await StartAsync(cancellationToken).ConfigureAwait(false);
        }

        if (_discoverNow || _time.GetElapsedTime(_lastDiscovery) >= _options.ShardDiscoveryInterval)
        {
            await DiscoverAsync(cancellationToken).ConfigureAwait(false);
        }

        await StartReadyChildrenAsync(cancellationToken).ConfigureAwait(false);
        var now = _time.GetTimestamp();
        var shard = NextDueShard(now, out var earliest);
        if (shard is null)
        {
            // Nothing may be polled yet: wait for the first shard that may, then hand back an empty batch so the
            // runner can tick its watermark and checkpoint.
            var wait = earliest == long.MaxValue ? _options.IdlePollInterval : _time.GetElapsedTime(now, earliest);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
            }

            return true;
        }

        await PollAsync(shard, batch, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    /// <remarks>Saves the per-shard checkpoint (sequence number and ordinal of the last committed record) when it moved.</remarks>
    public async ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(positions);
        var changed = false;
        foreach (var shard in _order)
        {
            if (positions.TryGetValue(shard.Id, out var position))
            {
                while (shard.Handed.Count > 0 && shard.Handed.Peek().Ordinal <= position)
                {
                    var (ordinal, sequence) = shard.Handed.Dequeue();
                    shard.Committed = new Checkpoint(IteratorKind.AfterSequenceNumber, sequence, ordinal, Finished: false);
                    changed = true;
                }
            }

            if (shard.Status == ShardStatus.Ended && shard.Handed.Count == 0 && !shard.Committed.Finished)
            {
                shard.Committed = shard.Committed with { Finished = true };
                changed = true;
            }
        }

        if (changed)
        {
            await SaveCheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        _requestWriter.Dispose();
        if (_scratch.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(_scratch);
            _scratch = [];
        }

        return ValueTask.CompletedTask;
    }

    private async ValueTask StartAsync(CancellationToken cancellationToken)
    {
        var restored = false;
        if (_options.StateStore is { } store && await store.LoadAsync(_options.ResolveCheckpointKey(), cancellationToken).ConfigureAwait(false) is { } stored)
        {
            _checkpointVersion = stored.Version;
            ReadCheckpoint(stored.Data.Span);
            restored = true;
        }

        if (!restored)
        {
            (_startKind, _startTimestampMs) = _options.StartingPosition switch
            {
                KinesisStartingPosition.TrimHorizon => (IteratorKind.TrimHorizon, 0L),
                KinesisStartingPosition.AtTimestamp => (IteratorKind.AtTimestamp, _options.StartTimestamp!.Value.ToUnixTimeMilliseconds()),
                _ => (IteratorKind.AtTimestamp, _time.GetUtcNow().ToUnixTimeMilliseconds()),
            };
        }

        _started = true;
        await DiscoverAsync(cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask DiscoverAsync(CancellationToken cancellationToken)
    {
        var listed = await _client.ListShardsAsync(_stream, cancellationToken).ConfigureAwait(false);
        foreach (var info in listed)
        {
            if (_shards.TryGetValue(info.ShardId, out var known))
            {
                known.Info = info;
                continue;
            }

            var shard = new Shard(info.ShardId) { Info = info };
            _shards.Add(info.ShardId, shard);
            _order.Add(shard);
        }

        // Parents that fell out of retention are no longer listed: treat them as finished.
        foreach (var shard in _order)
        {
            shard.ParentsListed = IsListed(shard.Info?.ParentShardId, listed) || IsListed(shard.Info?.AdjacentParentShardId, listed);
        }

        _discoverNow = false;
        _lastDiscovery = _time.GetTimestamp();
    }

    private static bool IsListed(string? id, List<ShardInfo> listed)
    {
        if (id is null)
        {
            return false;
        }

        foreach (var info in listed)
        {
            if (info.ShardId == id)
            {
                return true;
            }
        }

        return false;
    }

    private async ValueTask StartReadyChildrenAsync(CancellationToken cancellationToken)
    {
        var added = false;
        foreach (var shard in _order)
        {
            if (shard.Status != ShardStatus.Waiting || !ParentsDone(shard))
            {
                continue;
            }

            if (shard.Committed.Finished)
            {
                shard.Status = ShardStatus.Finished;
                continue;
            }

            if (!shard.HasCheckpoint)
            {
                // Persist the starting point before any record is handed out: a crash before the first commit must
                // replay the same records under the same ordinals.
                shard.Committed = new Checkpoint(_startKind, null, 0, Finished: false);
                shard.HasCheckpoint = true;
                added = true;
            }

            shard.LastOrdinal = shard.Committed.Ordinal;
            shard.LastSequence = shard.Committed.Sequence;
            shard.Status = ShardStatus.Reading;
        }

        if (added)
        {
            await SaveCheckpointAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool ParentsDone(Shard shard) =>
        !shard.ParentsListed || (ParentDone(shard.Info?.ParentShardId) && ParentDone(shard.Info?.AdjacentParentShardId));

    private bool ParentDone(string? id) =>
        id is null || !_shards.TryGetValue(id, out var parent) || parent.Status is ShardStatus.Ended or ShardStatus.Finished;

    private Shard? NextDueShard(long now, out long earliest)
    {
        earliest = long.MaxValue;
        for (var i = 0; i < _order.Count; i++)
        {
            var shard = _order[(_next + i) % _order.Count];
            if (shard.Status != ShardStatus.Reading)
            {
                continue;
            }

            if (shard.NextPoll <= now)
            {
                _next = (_next + i + 1) % _order.Count;
                return shard;
            }

            earliest = Math.Min(earliest, shard.NextPoll);
        }

        return null;
    }

    private async ValueTask PollAsync(Shard shard, RawRecordBatch batch, CancellationToken cancellationToken)
    {
        RecordsPage page;
        while (true)
        {
            shard.Iterator ??= await NewIteratorAsync(shard, cancellationToken).ConfigureAwait(false);
            _requestBuffer.ResetWrittenCount();
            _requestWriter.Reset(_requestBuffer);
            KinesisClient.WriteGetRecords(_requestWriter, shard.Iterator, _options.MaxRecordsPerCall);
            try
            {
                using var response = await _client.SendAsync("GetRecords", _requestBuffer.WrittenMemory, cancellationToken).ConfigureAwait(false);
                batch.Partition = shard.Id;
                page = KinesisClient.ReadRecords(response.Span, batch, shard.LastOrdinal + 1, ref _scratch);
                break;
            }
            catch (KinesisException ex) when (ex.ErrorCode == "ExpiredIteratorException")
            {
                shard.Iterator = null; // iterators live five minutes: continue after the last record read
            }
        }

        if (page.Count > 0)
        {
            shard.LastOrdinal += page.Count;
            shard.LastSequence = page.LastSequenceNumber;
            shard.Handed.Enqueue((shard.LastOrdinal, page.LastSequenceNumber!));
        }

        if (StreamKitMetrics.IsConsumerTimeLagEnabled)
        {
            StreamKitMetrics.RecordConsumerTimeLag(Name, shard.Id, TimeSpan.FromMilliseconds(page.MillisBehindLatest));
        }

        shard.Iterator = page.NextIterator;
        var interval = page.Count > 0 || page.MillisBehindLatest > 0 ? _options.PollInterval : _options.IdlePollInterval;
        shard.NextPoll = _time.GetTimestamp() + (long)(interval.TotalSeconds * _time.TimestampFrequency);
        if (page.NextIterator is null)
        {
            // A closed shard read to its end: its children may start, and it no longer holds the watermark back.
            shard.Status = ShardStatus.Ended;
            batch.Partition = shard.Id;
            batch.EndOfPartition = true;
            _discoverNow = true;
        }
    }

    private ValueTask<string> NewIteratorAsync(Shard shard, CancellationToken cancellationToken) =>
        shard.LastSequence is { } sequence
            ? _client.GetShardIteratorAsync(_stream, shard.Id, IteratorKind.AfterSequenceNumber, sequence, 0, cancellationToken)
            : _client.GetShardIteratorAsync(_stream, shard.Id, shard.Committed.Kind, null, _startTimestampMs, cancellationToken);

    private async ValueTask SaveCheckpointAsync(CancellationToken cancellationToken)
    {
        if (_options.StateStore is not { } store)
        {
            return;
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new StateWriter(buffer);
        writer.WriteInt32(CheckpointMagic);
        writer.WriteInt32((int)_startKind);
        writer.WriteInt64(_startTimestampMs);
        var count = 0;
        foreach (var shard in _order)
        {
            count += shard.HasCheckpoint ? 1 : 0;
        }

        writer.WriteInt32(count);
        foreach (var shard in _order)
        {
            if (!shard.HasCheckpoint)
            {
                continue;
            }

            var checkpoint = shard.Committed;
            writer.WriteString(shard.Id);
            writer.WriteInt32((int)checkpoint.Kind);
            writer.WriteString(checkpoint.Sequence ?? "");
            writer.WriteInt64(checkpoint.Ordinal);
            writer.WriteInt32(checkpoint.Finished ? 1 : 0);
        }

        _checkpointVersion = await store.SaveAsync(_options.ResolveCheckpointKey(), buffer.WrittenMemory, _checkpointVersion, cancellationToken).ConfigureAwait(false);
    }

    private void ReadCheckpoint(ReadOnlySpan<byte> data)
    {
        var reader = new StateReader(data);
        reader.Expect(CheckpointMagic, "Kinesis source checkpoint marker");
        _startKind = (IteratorKind)reader.ReadInt32();
        _startTimestampMs = reader.ReadInt64();
        var count = reader.ReadCount();
        for (var i = 0; i < count; i++)
        {
            var id = reader.ReadString();
            var kind = (IteratorKind)reader.ReadInt32();
            var sequence = reader.ReadString();
            var ordinal = reader.ReadInt64();
            var finished = reader.ReadInt32() != 0;
            var shard = new Shard(id)
            {
                Committed = new Checkpoint(kind, sequence.Length == 0 ? null : sequence, ordinal, finished),
                HasCheckpoint = true,
            };
            _shards.Add(id, shard);
            _order.Add(shard);
        }
    }

    private enum ShardStatus : byte
    {
        Waiting,
        Reading,
        Ended,
        Finished,
    }

    private readonly record struct Checkpoint(IteratorKind Kind, string? Sequence, long Ordinal, bool Finished);

    private sealed class Shard(string id)
    {
        public string Id { get; } = id;

        public ShardInfo? Info { get; set; }

        public bool ParentsListed { get; set; }

        public ShardStatus Status { get; set; }

        public bool HasCheckpoint { get; set; }

        public Checkpoint Committed { get; set; }

        public string? Iterator { get; set; }

        public string? LastSequence { get; set; }

        public long LastOrdinal { get; set; }

        public long NextPoll { get; set; }

        /// <summary>Batches handed out but not yet committed: their last ordinal and sequence number.</summary>
        public Queue<(long Ordinal, string Sequence)> Handed { get; } = new();
    }
}
