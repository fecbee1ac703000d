using System.Runtime.CompilerServices;

namespace StreamKit.Aggregates;

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
