namespace StreamKit.Aggregates;

/// <summary>An aggregator bundled with its type arguments, so builder methods can infer them.</summary>
/// <remarks>Made by <see cref="AggregateFactory{T}"/>; pass it to the window builder's <c>Aggregate</c>.</remarks>
public readonly struct AggregateSpec<T, TAcc, TResult, TAggregator>
    where TAcc : unmanaged
    where TAggregator : struct, IAggregator<T, TAcc, TResult>
{
    internal AggregateSpec(TAggregator aggregator) => Aggregator = aggregator;

    /// <summary>The aggregator.</summary>
    public TAggregator Aggregator { get; }
}
