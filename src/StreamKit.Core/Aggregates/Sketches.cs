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
        ReadOnlySpan<byte> registers = _registers;
        double sum = 0;
        var zeros = 0;
        foreach (var r in registers)
        {
            sum += 1.0 / (1UL << r);
            zeros += r == 0 ? 1 : 0;
        }

        const double m = RegisterCount;
        var alpha = 0.7213 / (1 + (1.079 / m));
        var estimate = alpha * m * m / sum;

        // Small-range correction (linear counting): HyperLogLog's raw estimate is biased while many registers are empty.
        if (estimate <= 2.5 * m && zeros > 0)
        {
            estimate = m * Math.Log(m / zeros);
        }

        return (long)Math.Round(estimate);
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
        for (var i = 0; i < other._count; i++)
        {
            Add(other._items[i], other._counts[i], other._errors[i]);
        }
    }

    /// <summary>A copy sorted by count, largest first (ties by value), for reading results.</summary>
    public readonly TopKSketch Sorted()
    {
        var copy = this;
        if (!copy._sorted)
        {
            // Insertion sort: at most 32 entries, once per emitted result.
            for (var i = 1; i < copy._count; i++)
            {
                var (item, count, error) = (copy._items[i], copy._counts[i], copy._errors[i]);
                var j = i - 1;
                while (j >= 0 && (copy._counts[j] < count || (copy._counts[j] == count && copy._items[j] > item)))
                {
                    copy._items[j + 1] = copy._items[j];
                    copy._counts[j + 1] = copy._counts[j];
                    copy._errors[j + 1] = copy._errors[j];
                    j--;
                }

                copy._items[j + 1] = item;
                copy._counts[j + 1] = count;
                copy._errors[j + 1] = error;
            }

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
