using System.Numerics;
using StreamKit.Pipeline;

namespace StreamKit.Aggregates;

/// <summary>Counts records.</summary>
public readonly struct CountAggregator<T> : IAggregator<T, long, long>
{
    /// <inheritdoc />
    public void Reset(ref long acc) => acc = 0;

    /// <inheritdoc />
    public void Add(ref long acc, in T item) => acc++;

    /// <inheritdoc />
    public void Merge(ref long target, in long source) => target += source;

    /// <inheritdoc />
    public long GetResult(in long acc) => acc;
}

/// <summary>Sums a numeric field.</summary>
/// <remarks>Integer sums wrap on overflow like C#'s unchecked arithmetic; sum into <c>long</c> or <c>double</c> for large inputs.</remarks>
public readonly struct SumAggregator<T, TValue, TSelector>(TSelector selector) : IAggregator<T, TValue, TValue>
    where TValue : unmanaged, INumber<TValue>
    where TSelector : struct, ISelector<T, TValue>
{
    /// <inheritdoc />
    public void Reset(ref TValue acc) => acc = TValue.Zero;

    /// <inheritdoc />
    public void Add(ref TValue acc, in T item) => acc += selector.Invoke(item);

    /// <inheritdoc />
    public void Merge(ref TValue target, in TValue source) => target += source;

    /// <inheritdoc />
    public TValue GetResult(in TValue acc) => acc;
}

/// <summary>The accumulator of <see cref="MinAggregator{T, TValue, TSelector}"/> and <see cref="MaxAggregator{T, TValue, TSelector}"/>.</summary>
public struct Extremum<TValue>
    where TValue : unmanaged
{
    /// <summary>The smallest or largest value seen.</summary>
    public TValue Value;

    /// <summary>Whether any value has been seen.</summary>
    public bool HasValue;
}

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

/// <summary>The largest value of a field.</summary>
public readonly struct MaxAggregator<T, TValue, TSelector>(TSelector selector) : IAggregator<T, Extremum<TValue>, TValue>
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
        if (has && (!acc.HasValue || value > acc.Value))
        {
            acc.Value = value;
            acc.HasValue = true;
        }
    }
}

/// <summary>The accumulator of <see cref="AverageAggregator{T, TValue, TSelector}"/>.</summary>
public struct AverageAccumulator
{
    /// <summary>The sum so far, as a double so it cannot overflow.</summary>
    public double Sum;

    /// <summary>How many values were summed.</summary>
    public long Count;
}

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

/// <summary>Two aggregates computed in one pass, e.g. a count and a sum.</summary>
public readonly struct CombinedAggregator<T, TAcc1, TResult1, TAggregator1, TAcc2, TResult2, TAggregator2>(TAggregator1 first, TAggregator2 second)
    : IAggregator<T, (TAcc1, TAcc2), (TResult1, TResult2)>
    where TAcc1 : unmanaged
    where TAcc2 : unmanaged
    where TAggregator1 : struct, IAggregator<T, TAcc1, TResult1>
    where TAggregator2 : struct, IAggregator<T, TAcc2, TResult2>
{
    /// <inheritdoc />
    public void Reset(ref (TAcc1, TAcc2) acc)
    {
        first.Reset(ref acc.Item1);
        second.Reset(ref acc.Item2);
    }

    /// <inheritdoc />
    public void Add(ref (TAcc1, TAcc2) acc, in T item)
    {
        first.Add(ref acc.Item1, item);
        second.Add(ref acc.Item2, item);
    }

    /// <inheritdoc />
    public void Merge(ref (TAcc1, TAcc2) target, in (TAcc1, TAcc2) source)
    {
        first.Merge(ref target.Item1, source.Item1);
        second.Merge(ref target.Item2, source.Item2);
    }

    /// <inheritdoc />
    public (TResult1, TResult2) GetResult(in (TAcc1, TAcc2) acc) => (first.GetResult(acc.Item1), second.GetResult(acc.Item2));
}

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
