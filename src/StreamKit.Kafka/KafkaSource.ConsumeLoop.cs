using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using Confluent.Kafka;
using StreamKit.Diagnostics;
using StreamKit.Kafka.Internal;
using StreamKit.Records;

namespace StreamKit.Kafka;

// The consume thread: polls librdkafka, buffers messages per partition, and handles (re)assignment.
public sealed partial class KafkaSource
{
    private const int ConsumeTimeoutMs = 100;

    /// <summary>During a backlog, the reader is woken after this many messages (and whenever librdkafka has no more).</summary>
    private const int WakeEvery = 256;

    /// <summary>Where partitions are not listed up front: how long batches stay one message long while waiting for every newly assigned partition to be heard from.</summary>
    private const int PrimingTimeoutMs = 5000;

    private void ConsumeLoop()
    {
        try
        {
            if (_options.Assignment == KafkaAssignment.AllPartitions)
            {
                AssignAll();
            }
            else
            {
                _consumer.Subscribe(_options.Topics);
            }

            while (!_stopping)
            {
                _staging.Reset();
                ConsumeResult<Staged, Staged>? result;
                try
                {
                    result = _consumer.Consume(0);
                    if (result is null)
                    {
                        // librdkafka has nothing more right now: hand over what is buffered before blocking.
                        lock (_gate)
                        {
                            WakeReaderLocked();
                        }

                        result = _consumer.Consume(ConsumeTimeoutMs);
                    }
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    _options.OnError?.Invoke(e.Error);
                    continue;
                }

                if (result is null)
                {
                    continue;
                }

                if (result.IsPartitionEOF)
                {
                    OnEndOfPartition(result);
                }
                else
                {
                    OnMessage(result);
                }
            }
        }
        catch (Exception e)
        {
            // Anything — librdkafka, a rebalance handler, a user callback — ends the loop and fails the next ReadAsync
            // with the original exception; escaping this thread would kill the process instead.
            lock (_gate)
            {
                _failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }
        finally
        {
            try
            {
                _consumer.Close(); // leaves the group now rather than after the session timeout
            }
            catch (KafkaException)
            {
                // Already failed; disposing is all that is left.
            }
            finally
            {
                _consumer.Dispose();
                lock (_gate)
                {
                    _loopExited = true;
                    WakeReaderLocked();
                }

                _exited.TrySetResult();
            }
        }
    }

    private void OnMessage(ConsumeResult<Staged, Staged> result)
    {
        var offset = result.Offset.Value;
        var message = result.Message;
        var timestamp = message.Timestamp.Type == TimestampType.NotAvailable ? 0 : message.Timestamp.UnixTimestampMs;
        string? error = null;
        if (timestamp == 0 && _options.EventTime == KafkaEventTime.MessageTimestamp)
        {
            error = "the message has no timestamp, and event time is the message timestamp";
        }

        var context = default(ActivityContext);
        var traced = _options.ReadTraceContext && StreamKitActivities.Source.HasListeners() && TryReadTraceContext(message.Headers, out context);
        PartitionBuffer? partition;
        lock (_gate)
        {
            partition = Find(result.Topic ?? _onlyTopic!, result.Partition.Value);
            if (partition is not { Assigned: true })
            {
                return; // revoked while the message was on its way
            }

            if (partition.End >= 0 && offset >= partition.End)
            {
                // Bounded: written after the run started. Not ours to read; stop fetching.
                partition.Done = true;
                SetPausedLocked(partition, true);
                WakeReaderLocked();
                return;
            }

            partition.Append(_pool, _staging.Get(message.Key), _staging.Get(message.Value), EncodeHeaders(message.Headers), offset, timestamp, error);
            if (traced)
            {
                partition.AddTraceContext(offset, context);
            }
            if (partition.End >= 0 && offset >= partition.End - 1)
            {
                partition.Done = true;
                SetPausedLocked(partition, true);
            }
            else if (!partition.Paused && partition.Count >= _options.MaxBufferedMessagesPerPartition)
            {
                SetPausedLocked(partition, true);
                _pauses++;
            }

            // Waking the reader per message costs a thread hop each (measured: batches of 4 messages and a third less
            // throughput on 2 cores); during a backlog wake it every WakeEvery messages, and when librdkafka runs dry.
            if (++_sinceWake >= WakeEvery || partition.Paused || (_primingUntil != 0 && !partition.Primed))
            {
                WakeReaderLocked();
            }
        }

    }

    /// <summary>The message's headers in <see cref="RecordHeaders"/>' encoding, in a buffer reused by the consume thread; empty unless <see cref="KafkaSourceOptions.IncludeHeaders"/>.</summary>
    private ReadOnlySpan<byte> EncodeHeaders(Headers? headers)
    {
        if (!_options.IncludeHeaders || headers is null || headers.Count == 0)
        {
            return default;
        }

        Span<byte> name = stackalloc byte[256];
        var written = 0;
        for (var i = 0; i < headers.Count; i++)
        {
            var key = headers[i].Key;
            var nameBytes = Encoding.UTF8.GetMaxByteCount(key.Length) <= name.Length ? name[..Encoding.UTF8.GetBytes(key, name)] : Encoding.UTF8.GetBytes(key);
            var value = headers[i].GetValueBytes();
            var needed = written + RecordHeaders.EncodedLength(nameBytes.Length, value?.Length ?? 0);
            if (_headerScratch.Length < needed)
            {
                Array.Resize(ref _headerScratch, Math.Max(needed, _headerScratch.Length * 2));
            }

            written += RecordHeaders.Encode(_headerScratch.AsSpan(written), nameBytes, value, isNull: value is null);
        }

        return _headerScratch.AsSpan(0, written);
    }

    /// <summary>Parses W3C trace context from a message's headers (a string per header: only while a tracer listens).</summary>
    private static bool TryReadTraceContext(Headers? headers, out ActivityContext context)
    {
        context = default;
        if (headers is null || !headers.TryGetLastBytes(StreamKitActivities.TraceParentHeader, out var parent))
        {
            return false;
        }

        var state = headers.TryGetLastBytes(StreamKitActivities.TraceStateHeader, out var stateBytes) ? Encoding.ASCII.GetString(stateBytes) : null;
        return ActivityContext.TryParse(Encoding.ASCII.GetString(parent), state, isRemote: true, out context);
    }

    private void OnEndOfPartition(ConsumeResult<Staged, Staged> result)
    {
        lock (_gate)
        {
            var partition = Find(result.Topic ?? _onlyTopic!, result.Partition.Value);
            if (partition is not { Assigned: true })
            {
                return;
            }

            if (partition.Count == 0)
            {
                partition.Primed = true; // caught up with nothing to hand on: nothing of it can be late
            }

            if (partition.End >= 0 && result.Offset.Value >= partition.End)
            {
                partition.Done = true;
            }

            WakeReaderLocked();
        }
    }

    private void OnClientError(Error error)
    {
        if (error.IsFatal)
        {
            lock (_gate)
            {
                _failure ??= ExceptionDispatchInfo.Capture(new KafkaException(error));
                WakeReaderLocked();
            }

            _stopping = true;
            return;
        }

        _options.OnError?.Invoke(error);
    }

    /// <summary>Assigns every partition of the topics, without joining the group.</summary>
    private void AssignAll() => _consumer.Assign(OnAssigned(AllTopicPartitions()));

    /// <summary>Every partition of the topics, from the brokers' metadata: fetched once, by whichever thread asks first.</summary>
    /// <remarks>The reading thread asks through <see cref="Partitions"/> (bounded, before reading), the consume thread when it assigns.</remarks>
    private List<TopicPartition> AllTopicPartitions()
    {
        lock (_metadataGate)
        {
            return _allPartitions ??= FetchTopicPartitions();
        }
    }

    private List<TopicPartition> FetchTopicPartitions()
    {
        using var admin = new DependentAdminClientBuilder(_consumer.Handle).Build();
        var partitions = new List<TopicPartition>();
        foreach (var topic in _options.Topics)
        {
            var deadline = DateTime.UtcNow + _options.RequestTimeout;
            while (true)
            {
                var metadata = admin.GetMetadata(topic, _options.RequestTimeout);
                var found = metadata.Topics.Find(t => t.Topic == topic);
                if (found is { Error.IsError: false, Partitions.Count: > 0 })
                {
                    foreach (var partition in found.Partitions)
                    {
                        partitions.Add(new TopicPartition(topic, partition.PartitionId));
                    }

                    break;
                }

                if (_stopping || DateTime.UtcNow > deadline)
                {
                    throw new KafkaException(new Error(found?.Error.Code ?? ErrorCode.UnknownTopicOrPart, $"Topic '{topic}' was not found within {_options.RequestTimeout}: {found?.Error.Reason}"));
                }

                Thread.Sleep(200);
            }
        }

        return partitions;
    }

    /// <summary>Registers newly assigned partitions and decides where each starts.</summary>
    private List<TopicPartitionOffset> OnAssigned(List<TopicPartition> assigned)
    {
        // Where this process has been before: the checkpoint, or what it already handed to the pipeline.
        var known = new Dictionary<TopicPartition, long>();
        var fresh = new List<PartitionBuffer>();
        lock (_gate)
        {
            foreach (var tp in assigned)
            {
                var partition = GetOrAdd(tp);
                var after = partition.LastDelivered;
                if (_resume.TryGetValue(partition.Name, out var checkpointed))
                {
                    after = Math.Max(after, checkpointed);
                }

                if (after >= 0)
                {
                    known[tp] = after;
                }

                if (_options.Bounded && partition.End < 0)
                {
                    fresh.Add(partition);
                }
            }
        }

        // Outside the lock: these are broker round trips.
        var committed = known.Count > 0 ? _consumer.Committed(known.Keys, _options.RequestTimeout) : [];
        var ends = new Dictionary<PartitionBuffer, long>();
        foreach (var partition in fresh)
        {
            ends[partition] = _consumer.QueryWatermarkOffsets(partition.TopicPartition, _options.RequestTimeout).High.Value;
        }

        var offsets = new List<TopicPartitionOffset>(assigned.Count);
        lock (_gate)
        {
            foreach (var tp in assigned)
            {
                var partition = GetOrAdd(tp);
                var start = Offset.Unset; // the group's committed offset, else auto.offset.reset
                if (known.TryGetValue(tp, out var after))
                {
                    // Kafka's committed offset is the next to read; a checkpoint position is the last applied.
                    var next = after + 1;
                    foreach (var c in committed)
                    {
                        if (c.TopicPartition == tp && c.Offset.Value > next)
                        {
                            next = c.Offset.Value; // another instance went further since: don't apply its messages again
                        }
                    }

                    start = new Offset(next);
                }

                if (ends.TryGetValue(partition, out var end))
                {
                    partition.End = end;
                }

                partition.Assigned = true;
                partition.Paused = false;
                partition.Done = partition.End >= 0 && start != Offset.Unset && start.Value >= partition.End;
                if (!_active.Contains(partition))
                {
                    _active.Add(partition);
                }

                offsets.Add(new TopicPartitionOffset(tp, start));
            }

            _assignedOnce = true;
            if (!_listsPartitions)
            {
                // The runner did not learn these partitions up front: prime (see the class remarks).
                foreach (var partition in _active)
                {
                    if (!partition.Primed)
                    {
                        _primingUntil = Environment.TickCount64 + PrimingTimeoutMs;
                        break;
                    }
                }
            }

            WakeReaderLocked();
        }

        _partitionsAssigned?.Invoke(assigned);
        return offsets;
    }

    private void OnRevoked(List<TopicPartitionOffset> revoked)
    {
        _partitionsRevoking?.Invoke(revoked); // partition readers: stop and checkpoint while the partitions are still ours
        lock (_gate)
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
                    partition.Clear(_pool);
                    _active.Remove(partition);
                }
            }

            _cursor = 0;
            WakeReaderLocked();
        }
    }

    private PartitionBuffer? Find(string topic, int partition)
    {
        return _byTopic.TryGetValue(topic, out var partitions) && (uint)partition < (uint)partitions.Length ? partitions[partition] : null;
    }

    private PartitionBuffer GetOrAdd(TopicPartition tp)
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
}
