using System.Numerics;

namespace StreamKit.Aggregates;

/// <content>
/// Overloads taking a selector that names itself (<see cref="ISelector{TSelf, T, TResult}"/>), so that
/// <c>a.Sum(new Duration())</c> needs no type arguments. Each makes the same aggregator as its explicit twin.
/// </content>
public sealed partial class AggregateFactory<T>
{
    /// <summary>Sums a field selected by a struct that names itself.</summary>
    public AggregateSpec<T, TValue, TValue, SumAggregator<T, TValue, TSelector>> Sum<TSelector, TValue>(ISelector<TSelector, T, TValue> selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<TSelector, T, TValue> => Sum<TValue, TSelector>(Unbox(selector));

    /// <summary>The smallest value of a field selected by a struct that names itself.</summary>
    public AggregateSpec<T, Extremum<TValue>, TValue, MinAggregator<T, TValue, TSelector>> Min<TSelector, TValue>(ISelector<TSelector, T, TValue> selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<TSelector, T, TValue> => Min<TValue, TSelector>(Unbox(selector));

    /// <summary>The largest value of a field selected by a struct that names itself.</summary>
    public AggregateSpec<T, Extremum<TValue>, TValue, MaxAggregator<T, TValue, TSelector>> Max<TSelector, TValue>(ISelector<TSelector, T, TValue> selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<TSelector, T, TValue> => Max<TValue, TSelector>(Unbox(selector));

    /// <summary>The mean of a field selected by a struct that names itself.</summary>
    public AggregateSpec<T, AverageAccumulator, double, AverageAggregator<T, TValue, TSelector>> Average<TSelector, TValue>(ISelector<TSelector, T, TValue> selector)
        where TValue : unmanaged, INumber<TValue>
        where TSelector : struct, ISelector<TSelector, T, TValue> => Average<TValue, TSelector>(Unbox(selector));

    private static TSelector Unbox<TSelector, TValue>(ISelector<TSelector, T, TValue> selector)
        where TSelector : struct, ISelector<TSelector, T, TValue>
    {
        ArgumentNullException.ThrowIfNull(selector);
        return (TSelector)selector;
    }
}
