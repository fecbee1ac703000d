using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using Confluent.Kafka;
using StreamKit.Diagnostics;
using StreamKit.Records;

namespace StreamKit.Kafka.Internal;

/// <summary>
/// A <see cref="KafkaSource"/>'s consume thread: assigns every partition or joins the group, polls librdkafka, and
/// appends each message to its partition's buffer in the <see cref="PartitionHandoff"/>.
/// </summary>
/// <remarks>
/// The loop owns the consumer: it closes it (leaving the group at once) and disposes it when it ends. Any exception
/// ends the loop and fails the next read with it; escaping the thread would kill the process instead.
/// </remarks>
[SuppressMessage("Design", "CA1001", Justification = "ManualResetEventSlim holds no unmanaged resource unless WaitHandle is read, which it never is; Stop() may run after the thread ends, so it is never disposed.")]
internal sealed class KafkaConsumeLoop(
    KafkaSourceOptions options,
    IConsumer<Staged, Staged> consumer,
    StagingDeserializer staging,
    PartitionHandoff handoff,
    PartitionAssigner assigner)
{
    private const int ConsumeTimeoutMs = 100;

    private readonly string? _onlyTopic = options.Topics.Count == 1 ? options.Topics[0] : null;
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ManualResetEventSlim _stopped = new();
    private byte[] _headerScratch = []; // for encoding a message's headers
    private Thread? _thread;

    /// <summary>Whether the thread was started (reading has begun).</summary>
    public bool Started => _thread is not null;

    public void EnsureStarted(string name)
    {
        if (_thread is not null)
        {
            return;
        }

        _thread = new Thread(Run) { IsBackground = true, Name = "StreamKit " + name };
        _thread.Start();
    }

    /// <summary>Stops the thread and waits for it to close the consumer; disposes the consumer directly when the thread never started.</summary>
    public Task StopAsync()
    {
        if (_thread is null)
        {
            assigner.WaitForMetadataClient();
            consumer.Dispose();
            return Task.CompletedTask;
        }

        handoff.RequestStop();
        _stopped.Set();
        return _exited.Task;
    }

    /// <summary>The client's error callback: a fatal error fails the source and stops the loop, others go to <see cref="KafkaSourceOptions.OnError"/>.</summary>
    public void OnClientError(Error error)
    {
        if (error.IsFatal)
        {
            lock (handoff.Gate)
            {
                handoff.FailLocked(new KafkaException(error));
                handoff.WakeReadersLocked();
            }

            handoff.RequestStop();
            return;
        }

        options.OnError?.Invoke(error);
    }

    private void Run()
    {
        try
        {
            if (options.Assignment == KafkaAssignment.AllPartitions)
            {
                assigner.AssignAll();
            }
            else
            {
                consumer.Subscribe(options.Topics);
            }

            while (!handoff.StopRequested)
            {
                staging.Reset();
                ConsumeResult<Staged, Staged>? result;
                try
                {
                    result = consumer.Consume(0);
                    if (result is null)
                    {
                        // librdkafka has nothing more right now: hand over what is buffered before blocking.
                        bool finished;
                        lock (handoff.Gate)
                        {
                            handoff.WakeReadersLocked();
                            finished = options.Bounded && handoff.AllDoneLocked();
                        }

                        if (finished)
                        {
                            // Bounded and read to the end: nothing more will come, so wait where disposing can wake the
                            // loop at once, instead of in librdkafka for up to the consume timeout (measured: 50 ms on
                            // average added to every bounded run's end). Callbacks are still served every timeout.
                            _stopped.Wait(ConsumeTimeoutMs);
                            continue;
                        }

                        result = consumer.Consume(ConsumeTimeoutMs);
                    }
                }
                catch (ConsumeException e) when (!e.Error.IsFatal)
                {
                    options.OnError?.Invoke(e.Error);
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
            // Anything — librdkafka, a rebalance handler, a user callback — ends the loop and fails the next read.
            lock (handoff.Gate)
            {
                handoff.FailLocked(e);
            }
        }
        finally
        {
            try
            {
                consumer.Close(); // leaves the group now rather than after the session timeout
            }
            catch (KafkaException)
            {
                // Already failed; disposing is all that is left.
            }
            finally
            {
                assigner.WaitForMetadataClient();
                consumer.Dispose();
                lock (handoff.Gate)
                {
                    handoff.MarkLoopExitedLocked();
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
        if (timestamp == 0 && options.EventTime == KafkaEventTime.MessageTimestamp)
        {
            error = "the message has no timestamp, and event time is the message timestamp";
        }

        var context = default(ActivityContext);
        var traced = options.ReadTraceContext && StreamKitActivities.Source.HasListeners() && TryReadTraceContext(message.Headers, out context);
        PartitionBuffer? full = null;
        lock (handoff.Gate)
        {
            var partition = handoff.Find(result.Topic ?? _onlyTopic!, result.Partition.Value);
            if (partition is not { Assigned: true })
            {
                return; // revoked while the message was on its way
            }

            if (partition.End >= 0 && offset >= partition.End)
            {
                // Bounded: written after the run started. Not ours to read; stop fetching.
                partition.Done = true;
                handoff.SetPausedLocked(partition, true);
                handoff.WakeReadersLocked();
                return;
            }

            partition.Append(handoff.Pool, staging.Get(message.Key), staging.Get(message.Value), EncodeHeaders(message.Headers), offset, timestamp, error);
            if (traced)
            {
                partition.AddTraceContext(offset, context);
            }

            if (handoff.BufferedLocked(partition, offset))
            {
                full = partition;
            }
        }

        if (full is not null)
        {
            handoff.WaitForRoom(full);
        }
    }

    private void OnEndOfPartition(ConsumeResult<Staged, Staged> result)
    {
        lock (handoff.Gate)
        {
            var partition = handoff.Find(result.Topic ?? _onlyTopic!, result.Partition.Value);
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

            handoff.WakeReadersLocked();
        }
    }

    /// <summary>The message's headers in <see cref="RecordHeaders"/>' encoding, in a buffer reused by the consume thread; empty unless <see cref="KafkaSourceOptions.IncludeHeaders"/>.</summary>
    private ReadOnlySpan<byte> EncodeHeaders(Headers? headers)
    {
        if (!options.IncludeHeaders || headers is null || headers.Count == 0)
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
}
