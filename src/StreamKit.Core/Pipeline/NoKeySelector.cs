using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Pipeline;

/// <summary>The key selector of an unkeyed window: every record has the same <see cref="NoKey"/>.</summary>
public readonly struct NoKeySelector<T> : ISelector<T, NoKey>
{
    /// <inheritdoc />
    public NoKey Invoke(in T item) => default;
}
