using System.Diagnostics.CodeAnalysis;

namespace StreamKit.MessagePack;

/// <summary>Throws for caller bugs (never for bad input) out of line, so the hot methods that call it stay small and inlinable.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn]
    public static void ThrowArgumentOutOfRange(string paramName, string message) =>
        throw new ArgumentOutOfRangeException(paramName, message);
}
