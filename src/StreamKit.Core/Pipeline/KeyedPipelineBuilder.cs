using StreamKit.Operators;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

/// <summary>A keyed stream under construction: choose its windows next.</summary>
public sealed class KeyedPipelineBuilder<TIn, T, TKey, TKeySelector>
    where TIn : struct
    where TKey : unmanaged, IEquatable<TKey>
    where TKeySelector : struct, ISelector<T, TKey>
{
    private readonly BuildContext<TIn> _context;
    private readonly Func<BatchOperator<T>, BatchOperator<TIn>> _attach;
    private readonly IFusedFilter<TIn, T>? _filter;
    private readonly TKeySelector _keySelector;

    internal KeyedPipelineBuilder(BuildContext<TIn> context, Func<BatchOperator<T>, BatchOperator<TIn>> attach, IFusedFilter<TIn, T>? filter, TKeySelector keySelector)
    {
        _context = context;
        _attach = attach;
        _filter = filter;
        _keySelector = keySelector;
    }

    /// <summary>Cuts each key's records into event-time windows.</summary>
    public WindowedPipelineBuilder<TIn, T, TKey, TKeySelector> Window(WindowSpec window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return new(_context, _attach, _filter, _keySelector, window);
    }
}
