using System.Numerics;

namespace StreamKit.Aggregates;

/// <summary>The arithmetic mean of a field (NaN for no values).</summary>
public readonly struct AverageAggregator<T, TValue, TSelector>(TSelector selector) : IAggregator<T, AverageAccumulator, double>
    where TValue : unmanaged, INumber<TValue>
    where TSelector : struct, ISelector<T, TValue>
{
    /// <inheritdoc />
    public void Reset(ref AverageAccumulator acc) => acc = default;

    /// <inheritdoc />
    public void Add(ref AverageAccumulator acc, in T item)
    {
        acc.Sum += double.CreateTruncating(selector.Invoke(item));
        acc.Count++;
    }

    /// <inheritdoc />
    public void Merge(ref AverageAccumulator target, in AverageAccumulator source)
    {
        target.Sum += source.Sum;
        target.Count += source.Count;
    }

    /// <inheritdoc />
    public double GetResult(in AverageAccumulator acc) => acc.Count == 0 ? double.NaN : acc.Sum / acc.Count;
}
