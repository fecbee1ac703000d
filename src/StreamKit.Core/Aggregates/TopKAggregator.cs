
namespace StreamKit.Aggregates;

/// <summary>The most frequent values of a field via <see cref="TopKSketch"/>; the result is the sorted sketch.</summary>
public readonly struct TopKAggregator<T, TSelector>(TSelector selector) : IAggregator<T, TopKSketch, TopKSketch>
    where TSelector : struct, ISelector<T, long>
{
    /// <inheritdoc />
    public void Reset(ref TopKSketch acc) => acc = default;

    /// <inheritdoc />
    public void Add(ref TopKSketch acc, in T item) => acc.Add(selector.Invoke(item));

    /// <inheritdoc />
    public void Merge(ref TopKSketch target, in TopKSketch source) => target.Merge(source);

    /// <inheritdoc />
    public TopKSketch GetResult(in TopKSketch acc) => acc.Sorted();
}
