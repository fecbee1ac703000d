namespace StreamKit.Aggregates;

/// <summary>The accumulator of <see cref="MinAggregator{T, TValue, TSelector}"/> and <see cref="MaxAggregator{T, TValue, TSelector}"/>.</summary>
public struct Extremum<TValue>
    where TValue : unmanaged
{
    /// <summary>The smallest or largest value seen.</summary>
    public TValue Value;

    /// <summary>Whether any value has been seen.</summary>
    public bool HasValue;
}
