using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using StreamKit.State;

namespace StreamKit.Keys;

/// <summary>
/// Maps UTF-8 strings (page names, countries, user ids as text) to dense integer ids, looked up straight from the
/// bytes, so string key fields become integer keys without allocating a <see cref="string"/> per record.
/// </summary>
/// <remarks>
/// Ids are assigned 0, 1, 2… in first-seen order and never reused. A lookup of a known string allocates nothing;
/// a new string copies its bytes into a growing arena (amortised). Not thread-safe: use one per pipeline, on the
/// processing thread. Register it with the pipeline (<c>WithState</c>) so ids survive a restore.
/// </remarks>
public sealed class Utf8Interner : ICheckpointed
{
    private const int StateVersion = 1;
    private byte[] _arena = new byte[1024];
    private int _arenaLength;
    private int[] _offsets = new int[16];
    private int[] _lengths = new int[16];
    private int[] _hashes = new int[16];
    private int[] _slots = new int[32]; // id + 1; 0 marks an empty slot
    private int _count;
    private readonly int _maxCount;

    /// <summary>Creates an interner.</summary>
    /// <param name="maxCount">The most distinct strings accepted; beyond it <see cref="TryGetOrAdd"/> fails, bounding memory against unbounded key spaces.</param>
    public Utf8Interner(int maxCount = int.MaxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCount);
        _maxCount = maxCount;
    }

    /// <summary>How many distinct strings have ids.</summary>
    public int Count => _count;

    /// <summary>Returns the id of <paramref name="utf8"/>, adding it if new.</summary>
    /// <exception cref="InvalidOperationException">The interner is full (see the constructor's <c>maxCount</c>).</exception>
    public int GetOrAdd(ReadOnlySpan<byte> utf8)
    {
        if (!TryGetOrAdd(utf8, out var id))
        {
            throw new InvalidOperationException($"The interner holds its maximum of {_maxCount} strings.");
        }

        return id;
    }

    /// <summary>Returns the id of <paramref name="utf8"/>, adding it if new and there is room.</summary>
    /// <returns><see langword="false"/> when the string is new and the interner is full.</returns>
    public bool TryGetOrAdd(ReadOnlySpan<byte> utf8, out int id)
    {
        var hash = Hash(utf8);
        var mask = _slots.Length - 1;
        var slot = hash & mask;
        while (true)
        {
            var entry = _slots[slot];
            if (entry == 0)
            {
                break;
            }

            var candidate = entry - 1;
            if (_hashes[candidate] == hash && _arena.AsSpan(_offsets[candidate], _lengths[candidate]).SequenceEqual(utf8))
            {
                id = candidate;
                return true;
            }

            slot = (slot + 1) & mask;
        }

        if (_count == _maxCount)
        {
            id = -1;
            return false;
        }

        id = Add(utf8, hash);
        return true;
    }

    /// <summary>Looks up a string without adding it.</summary>
    /// <returns><see langword="false"/> for a string never seen.</returns>
    public bool TryGet(ReadOnlySpan<byte> utf8, out int id)
    {
        var hash = Hash(utf8);
        var mask = _slots.Length - 1;
        for (var slot = hash & mask; _slots[slot] != 0; slot = (slot + 1) & mask)
        {
            var candidate = _slots[slot] - 1;
            if (_hashes[candidate] == hash && _arena.AsSpan(_offsets[candidate], _lengths[candidate]).SequenceEqual(utf8))
            {
                id = candidate;
                return true;
            }
        }

        id = -1;
        return false;
    }

    /// <summary>The UTF-8 bytes of an id; valid until the next string is added.</summary>
    public ReadOnlySpan<byte> GetBytes(int id)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)id, (uint)_count, nameof(id));
        return _arena.AsSpan(_offsets[id], _lengths[id]);
    }

    /// <summary>The string of an id (allocates: for output and diagnostics, not the hot path).</summary>
    public string GetString(int id) => Encoding.UTF8.GetString(GetBytes(id));

    /// <inheritdoc />
    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteInt32(StateVersion);
        writer.WriteInt32(_count);
        for (var id = 0; id < _count; id++)
        {
            writer.WriteBytes(GetBytes(id));
        }
    }

    /// <inheritdoc />
    public void ReadState(ref StateReader reader)
    {
        reader.Expect(StateVersion, "interner state version");
        var count = reader.ReadCount();
        _arenaLength = 0;
        _count = 0;
        Array.Clear(_slots);
        for (var i = 0; i < count; i++)
        {
            var bytes = reader.ReadBytes();
            Add(bytes, Hash(bytes));
        }
    }

    private int Add(ReadOnlySpan<byte> utf8, int hash)
    {
        if (_arenaLength + utf8.Length > _arena.Length)
        {
            Array.Resize(ref _arena, (int)Math.Max(BitOperations.RoundUpToPowerOf2((uint)(_arenaLength + utf8.Length)), _arena.Length * 2L));
        }

        if (_count == _offsets.Length)
        {
            Array.Resize(ref _offsets, _count * 2);
            Array.Resize(ref _lengths, _count * 2);
            Array.Resize(ref _hashes, _count * 2);
        }

        var id = _count++;
        utf8.CopyTo(_arena.AsSpan(_arenaLength));
        _offsets[id] = _arenaLength;
        _lengths[id] = utf8.Length;
        _hashes[id] = hash;
        _arenaLength += utf8.Length;

        // Keep the load factor at or below one half so probe chains stay short.
        if (_count * 2 > _slots.Length)
        {
            _slots = new int[_slots.Length * 2];
            for (var i = 0; i < _count; i++)
            {
                Insert(i);
            }
        }
        else
        {
            Insert(id);
        }

        return id;
    }

    private void Insert(int id)
    {
        var mask = _slots.Length - 1;
        var slot = _hashes[id] & mask;
        while (_slots[slot] != 0)
        {
            slot = (slot + 1) & mask;
        }

        _slots[slot] = id + 1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        // FNV-1a: keys are short (countries, page names), where it beats block hashes, and it is the same in every
        // process, which keeps probe order reproducible. Keep the result non-negative for masking.
        var hash = 2166136261u;
        foreach (var b in utf8)
        {
            hash = (hash ^ b) * 16777619u;
        }

        return (int)(hash & 0x7FFFFFFF);
    }
}
