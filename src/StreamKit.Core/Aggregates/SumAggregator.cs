using System.Numerics;

namespace StreamKit.Aggregates;

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
