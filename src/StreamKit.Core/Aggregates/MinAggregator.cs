using System.Numerics;

namespace StreamKit.Aggregates;

/// <summary>The smallest value of a field.</summary>
public readonly struct MinAggregator<T, TValue, TSelector>(TSelector selector) : IAggregator<T, Extremum<TValue>, TValue>
    where TValue : unmanaged, INumber<TValue>
    where TSelector : struct, ISelector<T, TValue>
{
    /// <inheritdoc />
    public void Reset(ref Extremum<TValue> acc) => acc = default;

    /// <inheritdoc />
    public void Add(ref Extremum<TValue> acc, in T item) => Fold(ref acc, selector.Invoke(item), true);

    /// <inheritdoc />
    public void Merge(ref Extremum<TValue> target, in Extremum<TValue> source) => Fold(ref target, source.Value, source.HasValue);

    /// <inheritdoc />
    public TValue GetResult(in Extremum<TValue> acc) => acc.Value;

    private static void Fold(ref Extremum<TValue> acc, TValue value, bool has)
    {
        if (has && (!acc.HasValue || value < acc.Value))
        {
            acc.Value = value;
            acc.HasValue = true;
        }
    }
}
