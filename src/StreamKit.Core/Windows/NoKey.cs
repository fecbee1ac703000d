namespace StreamKit.Windows;

/// <summary>The key of an aggregation that is not keyed: every record shares it.</summary>
public readonly struct NoKey : IEquatable<NoKey>
{
    /// <inheritdoc />
    public bool Equals(NoKey other) => true;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is NoKey;

    /// <inheritdoc />
    public override int GetHashCode() => 0;

    /// <summary>Always equal.</summary>
    public static bool operator ==(NoKey left, NoKey right) => true;

    /// <summary>Never different.</summary>
    public static bool operator !=(NoKey left, NoKey right) => false;
}
