namespace StreamKit.Aggregates;

/// <summary>The accumulator of <see cref="AverageAggregator{T, TValue, TSelector}"/>.</summary>
public struct AverageAccumulator
{
    /// <summary>The sum so far, as a double so it cannot overflow.</summary>
    public double Sum;

    /// <summary>How many values were summed.</summary>
    public long Count;
}
