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
