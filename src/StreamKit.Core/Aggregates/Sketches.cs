using System.Numerics;
using System.Runtime.CompilerServices;
using StreamKit.Pipeline;

namespace StreamKit.Aggregates;

/// <summary>A HyperLogLog sketch with 4096 one-byte registers: standard error 1.04/√4096 ≈ 1.6 %.</summary>
/// <remarks>
/// Unmanaged and fixed-size so it lives inline in state tables and snapshots as bytes. Merging two sketches
/// takes the register-wise maximum, so slices, windows and partitions combine without losing accuracy.
/// </remarks>
public struct HyperLogLogSketch
{
    /// <summary>Bits of the hash that pick a register.</summary>
    public const int Precision = 12;

    /// <summary>How many registers the sketch has.</summary>
    public const int RegisterCount = 1 << Precision;

    private Registers _registers;

    /// <summary>Adds a value that has already been hashed to 64 well-mixed bits.</summary>
    public void AddHash(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rest = hash << Precision;
        var rank = (byte)(rest == 0 ? 64 - Precision + 1 : BitOperations.LeadingZeroCount(rest) + 1);
        ref var register = ref _registers[index];
        if (rank > register)
        {
            register = rank;
        }
    }

    /// <summary>Adds a value, hashing it first.</summary>
    public void Add(long value) => AddHash(Mix(unchecked((ulong)value)));

    /// <summary>Folds another sketch into this one (register-wise maximum).</summary>
    public void Merge(in HyperLogLogSketch other)
    {
        Span<byte> mine = _registers;
        ReadOnlySpan<byte> theirs = other._registers;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= RegisterCount - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Max(new Vector<byte>(mine[i..]), new Vector<byte>(theirs[i..])).CopyTo(mine[i..]);
            }
        }

        for (; i < RegisterCount; i++)
        {
            mine[i] = Math.Max(mine[i], theirs[i]);
        }
    }

    /// <summary>The estimated number of distinct values added.</summary>
    public readonly long Estimate()
    {
        // Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017) over the
        // register histogram: unbiased from empty to huge, where the classic raw estimate with a linear-counting switch
        // at 2.5 m is about 2 % high just above the switch.
        const int q = 64 - Precision; // registers hold 0 (empty) to q + 1
        const double m = RegisterCount;
        Span<int> histogram = stackalloc int[q + 2];
        ReadOnlySpan<byte> registers = _registers;
        foreach (var r in registers)
        {
            histogram[Math.Min((int)r, q + 1)]++;
        }

        var z = m * Tau(1 - (histogram[q + 1] / m));
        for (var k = q; k >= 1; k--)
        {
            z = 0.5 * (z + histogram[k]);
        }

        z += m * Sigma(histogram[0] / m);
        return (long)Math.Round(m * m / (2 * Math.Log(2) * z));
    }

    private static double Sigma(double x)
    {
        if (x == 1)
        {
            return double.PositiveInfinity;
        }

        double y = 1, z = x, previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (z != previous);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0 || x == 1)
        {
            return 0;
        }

        double y = 1, z = 1 - x, previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        }
        while (z != previous);
        return z / 3;
    }

    /// <summary>A 64-bit finaliser (MurmurHash3's fmix64) that spreads nearby integers across all bits.</summary>
    internal static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }

    [InlineArray(RegisterCount)]
    private struct Registers
    {
        private byte _element;
    }
}

/// <summary>Approximate distinct count of a field via <see cref="HyperLogLogSketch"/>.</summary>
public readonly struct DistinctCountAggregator<T, TSelector>(TSelector selector) : IAggregator<T, HyperLogLogSketch, long>
    where TSelector : struct, ISelector<T, long>
{
    /// <inheritdoc />
    public void Reset(ref HyperLogLogSketch acc) => acc = default;

    /// <inheritdoc />
    public void Add(ref HyperLogLogSketch acc, in T item) => acc.Add(selector.Invoke(item));

    /// <inheritdoc />
    public void Merge(ref HyperLogLogSketch target, in HyperLogLogSketch source) => target.Merge(source);

    /// <inheritdoc />
    public long GetResult(in HyperLogLogSketch acc) => acc.Estimate();
}

/// <summary>
/// A Space-Saving summary of the most frequent values: <see cref="Capacity"/> counters, each count overestimating
/// the true one by at most its <see cref="GetError"/> (≤ total / capacity).
/// </summary>
/// <remarks>
/// Values that are truly among the top few are reported exactly while fewer than <see cref="Capacity"/> distinct
/// values are seen. Merge (Agarwal et al.'s mergeable summaries) sums matching counters and keeps the largest.
/// Read the result through <see cref="Count"/> and the getters: entries are sorted by count, largest first.
/// </remarks>
public struct TopKSketch
{
    /// <summary>How many counters the sketch keeps.</summary>
    public const int Capacity = 32;

    private Longs _items;
    private Longs _counts;
    private Longs _errors;
    private int _count;
    private bool _sorted;

    /// <summary>How many values are tracked.</summary>
    public readonly int Count => _count;

    /// <summary>The value of entry <paramref name="index"/> (0 is the most frequent once read through <see cref="Sorted"/>).</summary>
    public readonly long GetItem(int index) => _items[Check(index)];

    /// <summary>The estimated count of entry <paramref name="index"/>.</summary>
    public readonly long GetCount(int index) => _counts[Check(index)];

    /// <summary>How much the count of entry <paramref name="index"/> may overestimate.</summary>
    public readonly long GetError(int index) => _errors[Check(index)];

    /// <summary>Adds one occurrence of <paramref name="item"/>.</summary>
    public void Add(long item) => Add(item, 1, 0);

    /// <summary>Folds another summary into this one.</summary>
    public void Merge(in TopKSketch other)
    {
        // A value missing from a full summary may have occurred up to that summary's smallest count times: credit it
        // with that much, as count and as error, so every count stays an upper bound and count − error a lower bound.
        // Replaying the other summary through Add would evict counters and under-count.
        var floor = _count == Capacity ? MinCount(this) : 0;
        var otherFloor = other._count == Capacity ? MinCount(other) : 0;
        Span<long> items = stackalloc long[2 * Capacity];
        Span<long> counts = stackalloc long[2 * Capacity];
        Span<long> errors = stackalloc long[2 * Capacity];
        var n = 0;
        for (var i = 0; i < _count; i++)
        {
            var j = other.IndexOf(_items[i]);
            items[n] = _items[i];
            counts[n] = _counts[i] + (j >= 0 ? other._counts[j] : otherFloor);
            errors[n] = _errors[i] + (j >= 0 ? other._errors[j] : otherFloor);
            n++;
        }

        for (var j = 0; j < other._count; j++)
        {
            if (IndexOf(other._items[j]) < 0)
            {
                items[n] = other._items[j];
                counts[n] = other._counts[j] + floor;
                errors[n] = other._errors[j] + floor;
                n++;
            }
        }

        if (n > Capacity)
        {
            SortByCount(items[..n], counts[..n], errors[..n]);
            n = Capacity;
        }

        for (var i = 0; i < n; i++)
        {
            _items[i] = items[i];
            _counts[i] = counts[i];
            _errors[i] = errors[i];
        }

        _count = n;
        _sorted = false;
    }

    /// <summary>A copy sorted by count, largest first (ties by value), for reading results.</summary>
    public readonly TopKSketch Sorted()
    {
        var copy = this;
        if (!copy._sorted)
        {
            Span<long> items = copy._items;
            Span<long> counts = copy._counts;
            Span<long> errors = copy._errors;
            SortByCount(items[..copy._count], counts[..copy._count], errors[..copy._count]);
            copy._sorted = true;
        }

        return copy;
    }

    private void Add(long item, long count, long error)
    {
        _sorted = false;
        for (var i = 0; i < _count; i++)
        {
            if (_items[i] == item)
            {
                _counts[i] += count;
                _errors[i] += error;
                return;
            }
        }

        if (_count < Capacity)
        {
            _items[_count] = item;
            _counts[_count] = count;
            _errors[_count] = error;
            _count++;
            return;
        }

        // Space-Saving: the new value takes over the smallest counter and inherits its count as possible error.
        var min = 0;
        for (var i = 1; i < Capacity; i++)
        {
            if (_counts[i] < _counts[min])
            {
                min = i;
            }
        }

        var floor = _counts[min];
        _items[min] = item;
        _counts[min] = floor + count;
        _errors[min] = floor + error;
    }

    private static long MinCount(in TopKSketch sketch)
    {
        var min = long.MaxValue;
        for (var i = 0; i < sketch._count; i++)
        {
            min = Math.Min(min, sketch._counts[i]);
        }

        return min;
    }

    private readonly int IndexOf(long item)
    {
        for (var i = 0; i < _count; i++)
        {
            if (_items[i] == item)
            {
                return i;
            }
        }

        return -1;
    }

    // Insertion sort by count, largest first, ties by value: at most 64 entries.
    private static void SortByCount(Span<long> items, Span<long> counts, Span<long> errors)
    {
        for (var i = 1; i < items.Length; i++)
        {
            var (item, count, error) = (items[i], counts[i], errors[i]);
            var j = i - 1;
            while (j >= 0 && (counts[j] < count || (counts[j] == count && items[j] > item)))
            {
                items[j + 1] = items[j];
                counts[j + 1] = counts[j];
                errors[j + 1] = errors[j];
                j--;
            }

            items[j + 1] = item;
            counts[j + 1] = count;
            errors[j + 1] = error;
        }
    }

    private readonly int Check(int index)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual((uint)index, (uint)_count, nameof(index));
        return index;
    }

    [InlineArray(Capacity)]
    private struct Longs
    {
        private long _element;
    }
}

/// <summary>The most frequent values of a field via <see cref="TopKSketch"/>; the result is the sorted sketch.</summary>
public readonly struct TopKAggregator<T, TSelector>(TSelector selector) : IAggregator<T, TopKSketch, TopKSketch>
    where TSelector : struct, ISelector<T, long>
{
    /// <inheritdoc />
    public void Reset(ref TopKSketch acc) => acc = default;

    /// <inheritdoc />
    public void Add(ref TopKSketch acc, in T item) => acc.Add(selector.Invoke(item));

    /// <inheritdoc />
    public void Merge(ref TopKSketch target, in TopKSketch source) => target.Merge(source);

    /// <inheritdoc />
    public TopKSketch GetResult(in TopKSketch acc) => acc.Sorted();
}
