using System.Diagnostics;
using Confluent.Kafka;
using StreamKit.Diagnostics;
using StreamKit.Records;

namespace StreamKit.Kafka.Internal;

// The readers' side: taking batches out of the partitions' buffers, waiting for them, priming and ends.
internal sealed partial class PartitionHandoff
{
    /// <summary>The next batch, round-robin over partitions with data; waits up to the poll interval, then hands on an empty batch.</summary>
    /// <returns><see langword="false"/> when bounded and every assigned partition is read to its end.</returns>
    public async ValueTask<bool> ReadAsync(RawRecordBatch batch, List<ActivityContext> contexts, CancellationToken cancellationToken)
    {
        while (true)
        {
            SemaphoreSlim signal;
            lock (Gate)
            {
                _failure?.Throw();
                contexts.Clear();
                if (TryMoveLocked(batch, contexts))
                {
                    return true;
                }

                if (_options.Bounded && IsFinishedLocked())
                {
                    return false;
                }

                if (_loopExited)
                {
                    throw new InvalidOperationException("The Kafka consume loop has stopped.");
                }

                signal = _readers.BeginWaitLocked();
            }

            if (!await signal.WaitAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false))
            {
                lock (Gate)
                {
                    _readers.EndWaitLocked();
                }

                return true; // nothing within the poll interval: an empty batch lets the runner close windows of idle partitions
            }
        }
    }

    /// <summary>Like <see cref="ReadAsync"/>, for one partition's messages only (see <c>KafkaSource.ReadPartitionAsync</c>).</summary>
    public async ValueTask<bool> ReadPartitionAsync(string partition, RawRecordBatch batch, List<ActivityContext> contexts, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            PartitionBuffer buffer;
            SemaphoreSlim signal;
            lock (Gate)
            {
                _failure?.Throw();
                buffer = _byName[partition];
                if (!buffer.Assigned)
                {
                    batch.Partition = partition;
                    return true; // revoked: the runner is being stopped
                }

                if (buffer.Count > 0 || (buffer.Done && !buffer.Ended))
                {
                    MoveLocked(buffer, batch, int.MaxValue, contexts);
                    return true;
                }

                if (_options.Bounded && buffer.Ended)
                {
                    return false;
                }

                if (_loopExited)
                {
                    throw new InvalidOperationException("The Kafka consume loop has stopped.");
                }

                signal = _readers.BeginWaitLocked(buffer);
            }

            if (!await signal.WaitAsync(_options.PollInterval, cancellationToken).ConfigureAwait(false))
            {
                lock (Gate)
                {
                    _readers.EndWaitLocked(buffer);
                }

                batch.Partition = partition;
                return true; // idle: an empty batch lets the runner close windows
            }
        }
    }

    private bool TryMoveLocked(RawRecordBatch batch, List<ActivityContext> contexts)
    {
        if (IsPrimingLocked())
        {
            // Until every assigned partition has been heard from, hand on one message at a time, unheard partitions
            // first. The runner's watermark is the minimum over the partitions it has seen: a first batch of 1,000
            // messages from one partition would move event time past the first messages of partitions it has not
            // seen yet, and the windows would drop those as late. One message each lets every partition check in
            // near the start of its own event time.
            foreach (var partition in _active)
            {
                if (!partition.Primed && partition.Count > 0)
                {
                    MoveLocked(partition, batch, limit: 1, contexts);
                    return true;
                }
            }

            return false; // wait for the others, at most until the priming deadline
        }

        var count = _active.Count;
        for (var i = 1; i <= count; i++)
        {
            var index = (_cursor + i) % count;
            var partition = _active[index];
            if (partition.Count > 0 || (partition.Done && !partition.Ended))
            {
                _cursor = index;
                MoveLocked(partition, batch, int.MaxValue, contexts);
                return true;
            }
        }

        return false;
    }

    private void MoveLocked(PartitionBuffer partition, RawRecordBatch batch, int limit, List<ActivityContext>? contexts)
    {
        batch.Partition = partition.Name;
        var last = partition.MoveTo(batch, Pool, limit);
        if (last >= 0)
        {
            partition.LastDelivered = last;
            partition.TakeTraceContexts(last, contexts);
            if (StreamKitMetrics.IsConsumerLagEnabled)
            {
                ReportLag(partition, last);
            }
        }

        partition.Primed = true;
        if (partition.Done && partition.Count == 0 && !partition.Ended)
        {
            // Read to its end offset: the runner stops waiting for it (with the last messages, or in an empty batch).
            batch.EndOfPartition = true;
            partition.Ended = true;
        }

        if (_awaitingRoom == partition && partition.Count <= _resumeBelow)
        {
            _room.Set(); // the consume thread waits for this partition to have room before polling again
        }

        if (partition.Paused && !partition.Done && partition.Count <= _resumeBelow)
        {
            // Resumed from this thread, not the consume thread, so a drained partition starts fetching at once
            // instead of after the consume thread's next poll timeout; librdkafka's pause/resume are thread-safe and
            // holding the lock keeps the Paused flag in step with librdkafka.
            SetPausedLocked(partition, false);
        }
    }

    /// <summary>Consumer lag = the partition's high watermark (cached by librdkafka from fetch responses, no request) minus the next offset to hand on.</summary>
    private void ReportLag(PartitionBuffer partition, long last)
    {
        var high = _consumer.GetWatermarkOffsets(partition.TopicPartition).High;
        if (high != Offset.Unset)
        {
            StreamKitMetrics.RecordConsumerLag(_sourceName, partition.Name, high.Value - (last + 1));
        }
    }

    private bool IsPrimingLocked()
    {
        if (_primingUntil == 0)
        {
            return false;
        }

        if (Environment.TickCount64 < _primingUntil)
        {
            foreach (var partition in _active)
            {
                if (!partition.Primed && !(partition.Done && partition.Count == 0))
                {
                    return true;
                }
            }
        }

        _primingUntil = 0;
        return false;
    }

    private bool IsFinishedLocked()
    {
        if (!_assignedOnce)
        {
            return false;
        }

        foreach (var partition in _active)
        {
            if (!partition.Ended)
            {
                return false;
            }
        }

        return true;
    }
}
