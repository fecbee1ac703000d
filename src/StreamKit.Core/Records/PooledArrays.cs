using System.Buffers;
using System.Runtime.CompilerServices;

namespace StreamKit.Records;

/// <summary>Growth of the pooled arrays behind the record batches.</summary>
internal static class PooledArrays
{
    /// <summary>
    /// Replaces <paramref name="array"/> with a pooled one of at least <paramref name="needed"/> items (and at least
    /// twice the old length), keeping its first <paramref name="used"/> items; the old array goes back to the pool,
    /// cleared when its items hold references.
    /// </summary>
    public static void Grow<TItem>(ref TItem[] array, int used, int needed)
    {
        var bigger = ArrayPool<TItem>.Shared.Rent(Math.Max(needed, array.Length * 2));
        array.AsSpan(0, used).CopyTo(bigger);
        ArrayPool<TItem>.Shared.Return(array, clearArray: RuntimeHelpers.IsReferenceOrContainsReferences<TItem>());
        array = bigger;
    }
}
