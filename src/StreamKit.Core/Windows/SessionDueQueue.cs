using System.Numerics;
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
/// </remarks>
internal sealed class SessionDueQueue
{
    private const int MinCapacity = 64;
    private const int MaxInitialCapacity = 1 << 24; // the capacity hint's cap; the ring still grows past it
    private SessionDue[] _ring;
    private int _head;
    private int _ringCount;
    private SessionDue[] _heap;
    private int _heapCount;

    public SessionDueQueue(int capacity)
    {
        _ring = new SessionDue[RingCapacity(capacity)];
        _heap = new SessionDue[MinCapacity];
    }

    public int Count => _ringCount + _heapCount;

    /// <summary>How many entries went to the heap and are still queued there (for tests).</summary>
    public int OutOfOrderCount => _heapCount;

    public void Push(in SessionDue due)
    {
        if (_ringCount == 0 || due.At >= _ring[(_head + _ringCount - 1) & (_ring.Length - 1)].At)
        {
            if (_ringCount == _ring.Length)
            {
                GrowRing();
            }

            _ring[(_head + _ringCount++) & (_ring.Length - 1)] = due;
            return;
        }

        PushHeap(due);
    }

    /// <summary>Takes the earliest entry if it is due at or before <paramref name="through"/>.</summary>
    public bool TryPop(long through, out SessionDue due)
    {
        if (_ringCount > 0 && (_heapCount == 0 || _ring[_head].At <= _heap[0].At))
        {
            due = _ring[_head];
            if (due.At > through)
            {
                return false;
            }

            _head = (_head + 1) & (_ring.Length - 1);
            _ringCount--;
            return true;
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

    /// <summary>Writes the ring oldest first, then the heap's array: the same queue always gives the same bytes.</summary>
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
        writer.WriteSpan<SessionDue>(_ring.AsSpan(0, _ringCount));
        writer.WriteSpan<SessionDue>(_heap.AsSpan(0, _heapCount));
    }

    public void ReadState(ref StateReader reader)
    {
        var ring = reader.ReadArray<SessionDue>();
        for (var i = 1; i < ring.Length; i++)
        {
            if (ring[i].At < ring[i - 1].At)
            {
                throw new InvalidDataException("Corrupt state snapshot: session ends out of order.");
            }
        }

        _ring = new SessionDue[RingCapacity(ring.Length)];
        ring.CopyTo(_ring, 0);
        _head = 0;
        _ringCount = ring.Length;
        _heap = reader.ReadArray<SessionDue>();
        _heapCount = _heap.Length;
        if (_heap.Length < MinCapacity)
        {
            Array.Resize(ref _heap, MinCapacity);
        }
    }

    private static int RingCapacity(int count) => (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(count, MinCapacity, MaxInitialCapacity));

    private void GrowRing()
    {
        var grown = new SessionDue[_ring.Length * 2];
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
/// One queued session time (16 bytes): when, which session slot, and the slot's generation when queued, so an entry
/// of a slot freed and reused since is recognised and skipped. A negative <see cref="Slot"/> (<c>~slot</c>) marks a
/// purge of a fired session kept for late updates rather than a fire.
/// </summary>
internal readonly record struct SessionDue(long At, int Slot, int Generation);
