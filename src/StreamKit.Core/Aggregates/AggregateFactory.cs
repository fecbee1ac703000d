using System.Numerics;

namespace StreamKit.Aggregates;

/// <summary>Makes aggregate specs for records of type <typeparamref name="T"/>; the window builder hands you one.</summary>
/// <remarks>Each method has a lambda overload (easy) and a struct-selector overload (specialised and inlined by the JIT).</remarks>
public sealed partial class AggregateFactory<T>
{
    internal static readonly AggregateFactory<T> Instance = new();

    private AggregateFactory()
    {
    }

    /// <summary>Counts records.</summary>
    public AggregateSpec<T, long, long, CountAggregator<T>> Count() => new(default);

    /// <summary>Sums a field.</summary>
    public AggregateSpec<T, TValue, TValue, SumAggregator<T, TValue, DelegateSelector<T, TValue>>> Sum<TValue>(Func<T, TValue> selector)
        where TValue : unmanaged, INumber<TValue> => new(new(new(selector)));

    /// <summary>Sums a field selected by a struct.</summary>
    public AggregateSpec<T, TValue, TValue, SumAggregator<T, TValue, TSelector>> Sum<TValue, TSelector>(TSelector selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<T, TValue> => new(new(selector));

    /// <summary>The smallest value of a field.</summary>
    public AggregateSpec<T, Extremum<TValue>, TValue, MinAggregator<T, TValue, DelegateSelector<T, TValue>>> Min<TValue>(Func<T, TValue> selector)
        where TValue : unmanaged, INumber<TValue> => new(new(new(selector)));

    /// <summary>The smallest value of a field selected by a struct.</summary>
    public AggregateSpec<T, Extremum<TValue>, TValue, MinAggregator<T, TValue, TSelector>> Min<TValue, TSelector>(TSelector selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<T, TValue> => new(new(selector));

    /// <summary>The largest value of a field.</summary>
    public AggregateSpec<T, Extremum<TValue>, TValue, MaxAggregator<T, TValue, DelegateSelector<T, TValue>>> Max<TValue>(Func<T, TValue> selector)
        where TValue : unmanaged, INumber<TValue> => new(new(new(selector)));

    /// <summary>The largest value of a field selected by a struct.</summary>
    public AggregateSpec<T, Extremum<TValue>, TValue, MaxAggregator<T, TValue, TSelector>> Max<TValue, TSelector>(TSelector selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<T, TValue> => new(new(selector));

    /// <summary>The mean of a field.</summary>
    public AggregateSpec<T, AverageAccumulator, double, AverageAggregator<T, TValue, DelegateSelector<T, TValue>>> Average<TValue>(Func<T, TValue> selector)
        where TValue : unmanaged, INumber<TValue> => new(new(new(selector)));

    /// <summary>The mean of a field selected by a struct.</summary>
    public AggregateSpec<T, AverageAccumulator, double, AverageAggregator<T, TValue, TSelector>> Average<TValue, TSelector>(TSelector selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<T, TValue> => new(new(selector));

    /// <summary>Approximate count of distinct values (HyperLogLog, standard error about 1.6 %).</summary>
    /// <remarks>Each accumulator is 4 KiB: fine per window and key for modest key counts, costly for millions of keys.</remarks>
    public AggregateSpec<T, HyperLogLogSketch, long, DistinctCountAggregator<T, DelegateSelector<T, long>>> ApproxDistinct(Func<T, long> selector) =>
        new(new(new(selector)));

    /// <summary>Approximate count of distinct values selected by a struct.</summary>
    public AggregateSpec<T, HyperLogLogSketch, long, DistinctCountAggregator<T, TSelector>> ApproxDistinct<TSelector>(TSelector selector)
        where TSelector : struct, ISelector<T, long> => new(new(selector));

    /// <summary>The most frequent values and their approximate counts (Space-Saving over <see cref="TopKSketch.Capacity"/> counters).</summary>
    public AggregateSpec<T, TopKSketch, TopKSketch, TopKAggregator<T, DelegateSelector<T, long>>> TopK(Func<T, long> selector) =>
        new(new(new(selector)));

    /// <summary>The most frequent values selected by a struct.</summary>
    public AggregateSpec<T, TopKSketch, TopKSketch, TopKAggregator<T, TSelector>> TopK<TSelector>(TSelector selector)
        where TSelector : struct, ISelector<T, long> => new(new(selector));

    /// <summary>Two aggregates in one pass; the result is a tuple.</summary>
    public AggregateSpec<T, (TAcc1, TAcc2), (TResult1, TResult2), CombinedAggregator<T, TAcc1, TResult1, TAggregator1, TAcc2, TResult2, TAggregator2>>
        Combine<TAcc1, TResult1, TAggregator1, TAcc2, TResult2, TAggregator2>(
            AggregateSpec<T, TAcc1, TResult1, TAggregator1> first,
            AggregateSpec<T, TAcc2, TResult2, TAggregator2> second)
        where TAcc1 : unmanaged
        where TAcc2 : unmanaged
        where TAggregator1 : struct, IAggregator<T, TAcc1, TResult1>
        where TAggregator2 : struct, IAggregator<T, TAcc2, TResult2> =>
        new(new(first.Aggregator, second.Aggregator));
}
