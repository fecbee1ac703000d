using System.Numerics;
using System.Runtime.CompilerServices;

namespace StreamKit.State;

/// <summary>
/// An open-addressing hash table (linear probing, load ≤ ½) from unmanaged keys to unmanaged values, iterated in
/// insertion order through a dense entry list.
/// </summary>
/// <remarks>
/// Values are returned by reference so aggregates update in place. The dense list makes iteration and clearing
/// proportional to the entries, not the capacity, and makes the order independent of hashing, so a restored
/// table emits in the same order as the original. Removal swaps the last entry into the gap (the order changes,
/// deterministically) and repairs the probe chain by backward shifting, so no tombstones build up.
/// </remarks>
internal sealed class KeyedTable<TKey, TValue>
    where TKey : unmanaged, IEquatable<TKey>
    where TValue : unmanaged
{
    /// <summary>The largest capacity a hint may ask for up front (2^24 entries); the table still grows past it.</summary>
    public const int MaxCapacity = 1 << 24;

    private int[] _slots; // entry index + 1; 0 is empty
    private TKey[] _keys;
    private TValue[] _values;
    private int[] _slotOfEntry;
    private int _count;
    private int _shift;

    /// <summary>A table with room for <paramref name="capacity"/> entries before it first grows (doubling).</summary>
    public KeyedTable(int capacity = 16)
    {
        var entries = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(capacity, 4, MaxCapacity));
        _keys = new TKey[entries];
        _values = new TValue[entries];
        _slotOfEntry = new int[entries];
        _slots = new int[entries * 2];
        _shift = 64 - BitOperations.Log2((uint)_slots.Length);
    }

    public int Count => _count;

    public ReadOnlySpan<TKey> Keys => _keys.AsSpan(0, _count);

    public Span<TValue> Values => _values.AsSpan(0, _count);

    /// <summary>Finds <paramref name="key"/> or adds it; <paramref name="added"/> says which (the value is then default).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TValue GetOrAdd(in TKey key, out bool added)
    {
        var mask = _slots.Length - 1;
        var slot = Home(key);
        while (true)
        {
            var entry = _slots[slot] - 1;
            if (entry < 0)
            {
                break;
            }

            if (_keys[entry].Equals(key))
            {
                added = false;
                return ref _values[entry];
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
        for (var slot = Home(key); _slots[slot] != 0; slot = (slot + 1) & mask)
        {
            var entry = _slots[slot] - 1;
            if (_keys[entry].Equals(key))
            {
                return entry;
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
        _slots[hole] = 0;

        // Backward-shift deletion: pull later members of the probe run into the hole when their home allows.
        var slot = (hole + 1) & mask;
        while (_slots[slot] != 0)
        {
            var moving = _slots[slot] - 1;
            var home = Home(_keys[moving]);
            if (((slot - home) & mask) >= ((slot - hole) & mask))
            {
                _slots[hole] = moving + 1;
                _slotOfEntry[moving] = hole;
                _slots[slot] = 0;
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
            _slots[_slotOfEntry[entry]] = entry + 1;
        }
    }

    public void Clear()
    {
        for (var i = 0; i < _count; i++)
        {
            _slots[_slotOfEntry[i]] = 0;
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
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }
        }

        var entry = _count++;
        _keys[entry] = key;
        _values[entry] = default;
        _slots[slot] = entry + 1;
        _slotOfEntry[entry] = slot;
        return ref _values[entry];
    }

    private void Grow()
    {
        var size = _keys.Length * 2;
        Array.Resize(ref _keys, size);
        Array.Resize(ref _values, size);
        Array.Resize(ref _slotOfEntry, size);
        _slots = new int[size * 2];
        _shift = 64 - BitOperations.Log2((uint)_slots.Length);
        var mask = _slots.Length - 1;
        for (var entry = 0; entry < _count; entry++)
        {
            var slot = Home(_keys[entry]);
            while (_slots[slot] != 0)
            {
                slot = (slot + 1) & mask;
            }

            _slots[slot] = entry + 1;
            _slotOfEntry[entry] = slot;
        }
    }
}
