namespace StreamKit.Aggregates;

/// <summary>
/// An incremental, mergeable aggregate: folds records into an accumulator and merges accumulators, which is what
/// lets hopping windows combine per-slice partials and partitions combine their results.
/// </summary>
/// <remarks>
/// Implement it as a struct: window operators are generic over the aggregator type, so the JIT specialises and
/// inlines <see cref="Add"/>. The accumulator must be unmanaged (no references) so state snapshots are memory
/// copies and tables of accumulators hold no GC pointers. <see cref="Merge"/> must be associative and commutative.
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
/// <typeparam name="TAcc">The accumulator.</typeparam>
/// <typeparam name="TResult">What a window emits.</typeparam>
public interface IAggregator<T, TAcc, out TResult>
    where TAcc : unmanaged
{
    /// <summary>Sets <paramref name="acc"/> to the empty aggregate.</summary>
    void Reset(ref TAcc acc);

    /// <summary>Folds one record into <paramref name="acc"/>.</summary>
    void Add(ref TAcc acc, in T item);

    /// <summary>Folds <paramref name="source"/> into <paramref name="target"/>.</summary>
    void Merge(ref TAcc target, in TAcc source);

    /// <summary>The aggregate's value.</summary>
    TResult GetResult(in TAcc acc);
}
