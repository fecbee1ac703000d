using System.Numerics;
using System.Runtime.CompilerServices;

namespace StreamKit.State;

/// <summary>
/// An open-addressing hash table (linear probing, load ≤ ½) from unmanaged keys to unmanaged values, iterated in
/// insertion order through a dense entry list.
/// </summary>
/// <remarks>
/// Each hash slot holds its key next to the entry index, so a probe compares keys without a second random read; a
/// hit then reads only the value. With a million keys the arrays leave the cache and every random read is a miss:
/// reading the key from the dense list instead cost one more miss per lookup (Q4 sessions at 1M users, see
/// docs/performance.md). Values are returned by reference so aggregates update in place. The dense list makes iteration and clearing
/// proportional to the entries, not the capacity, and makes the order independent of hashing, so a restored
/// table emits in the same order as the original. Removal swaps the last entry into the gap (the order changes,
/// deterministically) and repairs the probe chain by backward shifting, so no tombstones build up.
/// </remarks>
internal sealed class KeyedTable<TKey, TValue>
    where TKey : unmanaged, IEquatable<TKey>
    where TValue : unmanaged
{
    private Slot[] _slots; // Entry = entry index + 1; 0 is empty
    private TKey[] _keys;
    private TValue[] _values;
    private int[] _slotOfEntry;
    private int _count;
    private int _shift;

    /// <summary>A table with room for <paramref name="capacity"/> entries before it first grows.</summary>
    public KeyedTable(int capacity = 16)
    {
        var entries = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 4, MaxCapacity));
        _keys = new TKey[entries];
        _values = new TValue[entries];
        _slotOfEntry = new int[entries];
        _slots = new Slot[entries * 2];
        _shift = 64 - BitOperations.Log2((uint)_slots.Length);
    }

    /// <summary>The largest capacity a hint may ask for up front (2^24 entries); the table still grows past it.</summary>
    public const int MaxCapacity = 1 << 24;

    public int Count => _count;

    /// <summary>Entries the table holds before it next grows.</summary>
    public int Capacity => _keys.Length;

    public ReadOnlySpan<TKey> Keys => _keys.AsSpan(0, _count);

    public Span<TValue> Values => _values.AsSpan(0, _count);

    /// <summary>Finds <paramref name="key"/> or adds it; <paramref name="added"/> says which (the value is then default).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TValue GetOrAdd(in TKey key, out bool added)
    {
        var slots = _slots;
        var mask = slots.Length - 1;
        var slot = Home(key);
        while (true)
        {
            ref var probe = ref slots[slot];
            if (probe.Entry == 0)
            {
                break;
            }

            if (probe.Key.Equals(key))
            {
                added = false;
                return ref _values[probe.Entry - 1];
            }

            slot = (slot + 1) & mask;
        }

        added = true;
        return ref Add(key, slot);
    }

    /// <summary>The index of <paramref name="key"/>'s entry, or -1.</summary>
    public int IndexOf(in TKey key)
    {
        var mask = _slots.Length - 1;
        for (var slot = Home(key); _slots[slot].Entry != 0; slot = (slot + 1) & mask)
        {
            if (_slots[slot].Key.Equals(key))
            {
                return _slots[slot].Entry - 1;
            }
        }

        return -1;
    }

    public ref TValue ValueAt(int entry) => ref _values[entry];

    public TKey KeyAt(int entry) => _keys[entry];

    /// <summary>Removes entry <paramref name="entry"/>; the last entry moves into its place.</summary>
    public void RemoveAt(int entry)
    {
        var mask = _slots.Length - 1;
        var hole = _slotOfEntry[entry];
        _slots[hole] = default;

        // Backward-shift deletion: pull later members of the probe run into the hole when their home allows.
        var slot = (hole + 1) & mask;
        while (_slots[slot].Entry != 0)
        {
            var home = Home(_slots[slot].Key);
            if (((slot - home) & mask) >= ((slot - hole) & mask))
            {
                _slots[hole] = _slots[slot];
                _slotOfEntry[_slots[slot].Entry - 1] = hole;
                _slots[slot] = default;
                hole = slot;
            }

            slot = (slot + 1) & mask;
        }

        var last = --_count;
        if (entry != last)
        {
            _keys[entry] = _keys[last];
            _values[entry] = _values[last];
            _slotOfEntry[entry] = _slotOfEntry[last];
            _slots[_slotOfEntry[entry]].Entry = entry + 1;
        }
    }

    public void Clear()
    {
        for (var i = 0; i < _count; i++)
        {
            _slots[_slotOfEntry[i]] = default;
        }

        _count = 0;
    }

    public void WriteState(StateWriter writer)
    {
        writer.WriteSpan<TKey>(Keys);
        writer.WriteSpan<TValue>(Values);
    }

    public void ReadState(ref StateReader reader)
    {
        Clear();
        var keys = reader.ReadArray<TKey>();
        var values = reader.ReadArray<TValue>();
        if (keys.Length != values.Length)
        {
            throw new InvalidDataException("Corrupt state snapshot: key and value counts differ.");
        }

        for (var i = 0; i < keys.Length; i++)
        {
            GetOrAdd(keys[i], out _) = values[i];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Home(in TKey key) =>
        // Fibonacci hashing: keys are often small dense integers, which the top bits of this product spread well.
        (int)(((ulong)(uint)key.GetHashCode() * 0x9E3779B97F4A7C15UL) >> _shift);

    [MethodImpl(MethodImplOptions.NoInlining)]
    private ref TValue Add(in TKey key, int slot)
    {
        if (_count == _keys.Length)
        {
            Grow();
            slot = Home(key);
            var mask = _slots.Length - 1;
            while (_slots[slot].Entry != 0)
            {
                slot = (slot + 1) & mask;
            }
        }

        var entry = _count++;
        _keys[entry] = key;
        _values[entry] = default;
        _slots[slot] = new Slot { Key = key, Entry = entry + 1 };
        _slotOfEntry[entry] = slot;
        return ref _values[entry];
    }

    /// <summary>Makes room for at least <paramref name="capacity"/> entries now, so that filling the table up to it does not grow it entry by entry.</summary>
    public void EnsureCapacity(int capacity)
    {
        if (capacity > _keys.Length)
        {
            Resize((int)BitOperations.RoundUpToPowerOf2((uint)Math.Min(capacity, MaxCapacity)));
        }
    }

    // Doubling: a table that grows from 16 to a million entries allocates about twice its final size in all, and
    // never again once it has reached its working size (pooled tables keep their capacity when cleared).
    private void Grow() => Resize(_keys.Length * 2);

    private void Resize(int size)
    {
        Array.Resize(ref _keys, size);
        Array.Resize(ref _values, size);
        Array.Resize(ref _slotOfEntry, size);
        _slots = new Slot[size * 2];
        _shift = 64 - BitOperations.Log2((uint)_slots.Length);
        var mask = _slots.Length - 1;
        for (var entry = 0; entry < _count; entry++)
        {
            var slot = Home(_keys[entry]);
            while (_slots[slot].Entry != 0)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = new Slot { Key = _keys[entry], Entry = entry + 1 };
            _slotOfEntry[entry] = slot;
        }
    }

    private struct Slot
    {
        public TKey Key;
        public int Entry;
    }
}
