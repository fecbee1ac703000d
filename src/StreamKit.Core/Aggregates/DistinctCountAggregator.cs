
namespace StreamKit.Aggregates;

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
