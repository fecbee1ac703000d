using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StreamKit.State;

namespace StreamKit.Windows;

/// <summary>
/// The times at which sessions come due, taken earliest first: a FIFO ring for times queued in order and a small
/// min-heap for the rest.
/// </summary>
/// <remarks>
/// A session's end is an event time plus the gap, and events arrive at most the out-of-orderness apart, so almost
/// every end is queued at or after the last one: it goes to the ring's tail and leaves from its head, O(1) and
/// sequential in memory. Only an end queued before the ring's tail (a session opened by an out-of-order event, a
/// session queued again at its new end) goes to the heap, which therefore stays small. A plain min-heap of every
/// open session costs a sift through a heap as large as the open sessions on every pop: at a million keys that is a
/// cache miss per level. Entries with equal times leave in no particular order.
/// <para>
/// A ring entry is 8 bytes: its time is an offset from a base, the time of an earlier entry, which moves up to the
/// ring's head when a time no longer fits; a time still too far from the head (the ring would span more than 2³¹ ms)
/// goes to the heap, whose 12-byte entries hold it whole.
/// </para>
/// </remarks>
internal sealed class SessionDueQueue
{
    private const int MinCapacity = 64;
    private const int MaxInitialCapacity = 1 << 24; // the capacity hint's cap; the ring still grows past it
    private RingEntry[] _ring;
    private int _head;
    private int _ringCount;
    private long _base; // ring entries hold their time as an offset from this
    private long _tail; // the time of the ring's last entry
    private SessionDue[] _heap;
    private int _heapCount;

    public SessionDueQueue(int capacity)
    {
        _ring = new RingEntry[RingCapacity(capacity)];
        _heap = new SessionDue[MinCapacity];
    }

    public int Count => _ringCount + _heapCount;

    /// <summary>How many entries went to the heap and are still queued there (for tests).</summary>
    public int OutOfOrderCount => _heapCount;

    /// <summary>Bytes held by the queue's arrays (for tests).</summary>
    public long ArrayBytes => ((long)_ring.Length * Unsafe.SizeOf<RingEntry>()) + ((long)_heap.Length * Unsafe.SizeOf<SessionDue>());

    public void Push(in SessionDue due)
    {
        if (_ringCount == 0)
        {
            _base = due.At;
        }
        else if (due.At < _tail || ((ulong)(due.At - _base) > uint.MaxValue && !Rebase(due.At)))
        {
            PushHeap(due);
            return;
        }

        if (_ringCount == _ring.Length)
        {
            GrowRing();
        }

        _ring[(_head + _ringCount++) & (_ring.Length - 1)] = new RingEntry((uint)(due.At - _base), due.Slot);
        _tail = due.At;
    }

    /// <summary>Takes the earliest entry if it is due at or before <paramref name="through"/>.</summary>
    public bool TryPop(long through, out SessionDue due)
    {
        if (_ringCount > 0)
        {
            var entry = _ring[_head];
            var at = _base + entry.Offset;
            if (_heapCount == 0 || at <= _heap[0].At)
            {
                if (at > through)
                {
                    due = default;
                    return false;
                }

                due = new SessionDue(at, entry.Slot);
                _head = (_head + 1) & (_ring.Length - 1);
                _ringCount--;
                return true;
            }
        }

        if (_heapCount > 0 && _heap[0].At <= through)
        {
            due = PopHeap();
            return true;
        }

        due = default;
        return false;
    }

    public void Clear()
    {
        _head = 0;
        _ringCount = 0;
        _heapCount = 0;
    }

    /// <summary>Queues entries as state version 2 held them: the ring oldest first, then the heap's array.</summary>
    public void Restore(ReadOnlySpan<SessionDue> ring, ReadOnlySpan<SessionDue> heap)
    {
        Clear();
        foreach (var due in ring)
        {
            Push(due);
        }

        foreach (var due in heap)
        {
            PushHeap(due);
        }
    }

    /// <summary>
    /// Writes the ring oldest first with its times as offsets from its first, then the heap's array: the same queue
    /// always gives the same bytes.
    /// </summary>
    public void WriteState(StateWriter writer)
    {
        if (_head + _ringCount > _ring.Length)
        {
            // Wrapped: rotate in place so the ring starts at index 0 (three reversals, no allocation).
            _ring.AsSpan(0, _head).Reverse();
            _ring.AsSpan(_head).Reverse();
            _ring.AsSpan().Reverse();
        }
        else
        {
            _ring.AsSpan(_head, _ringCount).CopyTo(_ring);
        }

        _head = 0;
        if (_ringCount > 0)
        {
            Rebase(_base + _ring[0].Offset);
        }
        else
        {
            _base = 0;
        }

        writer.WriteInt64(_base);
        writer.WriteSpan<RingEntry>(_ring.AsSpan(0, _ringCount));
        writer.WriteSpan<SessionDue>(_heap.AsSpan(0, _heapCount));
    }

    public void ReadState(ref StateReader reader)
    {
        var start = reader.ReadInt64();
        var ring = reader.ReadArray<RingEntry>();
        for (var i = 1; i < ring.Length; i++)
        {
            if (ring[i].Offset < ring[i - 1].Offset)
            {
                throw new InvalidDataException("Corrupt state snapshot: session ends out of order.");
            }
        }

        _ring = new RingEntry[RingCapacity(ring.Length)];
        ring.CopyTo(_ring, 0);
        _head = 0;
        _ringCount = ring.Length;
        _base = start;
        _tail = ring.Length > 0 ? start + ring[^1].Offset : 0;
        _heap = reader.ReadArray<SessionDue>();
        _heapCount = _heap.Length;
        if (_heap.Length < MinCapacity)
        {
            Array.Resize(ref _heap, MinCapacity);
        }
    }

    private static int RingCapacity(int count) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(count, MinCapacity, MaxInitialCapacity));

    /// <summary>
    /// Moves the ring's base up to its head's time so <paramref name="at"/> fits an offset, if that leaves at least
    /// half the offset range ahead of it (so a rebase, which rewrites every entry, comes at most once per 2³¹ ms of
    /// event time); otherwise the entry goes to the heap.
    /// </summary>
    private bool Rebase(long at)
    {
        var first = _ring[_head].Offset;
        if ((ulong)(at - (_base + first)) > uint.MaxValue / 2)
        {
            return false;
        }

        for (var i = 0; i < _ringCount; i++)
        {
            _ring[(_head + i) & (_ring.Length - 1)].Offset -= first;
        }

        _base += first;
        return true;
    }

    private void GrowRing()
    {
        var grown = new RingEntry[_ring.Length * 2];
        for (var i = 0; i < _ringCount; i++)
        {
            grown[i] = _ring[(_head + i) & (_ring.Length - 1)];
        }

        _ring = grown;
        _head = 0;
    }

    private void PushHeap(in SessionDue due)
    {
        if (_heapCount == _heap.Length)
        {
            Array.Resize(ref _heap, _heapCount * 2);
        }

        var i = _heapCount++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_heap[parent].At <= due.At)
            {
                break;
            }

            _heap[i] = _heap[parent];
            i = parent;
        }

        _heap[i] = due;
    }

    private SessionDue PopHeap()
    {
        var top = _heap[0];
        var last = _heap[--_heapCount];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= _heapCount)
            {
                break;
            }

            if (child + 1 < _heapCount && _heap[child + 1].At < _heap[child].At)
            {
                child++;
            }

            if (last.At <= _heap[child].At)
            {
                break;
            }

            _heap[i] = _heap[child];
            i = child;
        }

        if (_heapCount > 0)
        {
            _heap[i] = last;
        }

        return top;
    }
}

/// <summary>
/// One queued session time (12 bytes, as the heap holds it): when, and which session slot. A negative
/// <see cref="Slot"/> (<c>~slot</c>) marks a purge of a fired session kept for late updates rather than a fire.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
internal readonly record struct SessionDue(long At, int Slot);

/// <summary>A ring entry (8 bytes): its time as an offset from the ring's base, and the slot as in <see cref="SessionDue"/>.</summary>
internal record struct RingEntry(uint Offset, int Slot);
