namespace StreamKit.Records;

/// <summary>One header of a <see cref="RecordHeaders"/>.</summary>
/// <param name="Name">The name's UTF-8 bytes.</param>
/// <param name="Value">The value's bytes; empty when <paramref name="IsNull"/>.</param>
/// <param name="IsNull">Whether the value is null rather than empty.</param>
public readonly ref struct RecordHeader(ReadOnlySpan<byte> Name, ReadOnlySpan<byte> Value, bool IsNull)
{
    /// <summary>The name's UTF-8 bytes.</summary>
    public ReadOnlySpan<byte> Name { get; } = Name;

    /// <summary>The value's bytes; empty when <see cref="IsNull"/>.</summary>
    public ReadOnlySpan<byte> Value { get; } = Value;

    /// <summary>Whether the value is null rather than empty.</summary>
    public bool IsNull { get; } = IsNull;
}
