namespace StreamKit.Aggregates;

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
