using System.Numerics;

namespace StreamKit.MessagePack;

/// <summary>
/// A per-thread array that a record's payload is copied into, because MessagePack-CSharp's reader reads
/// <see cref="ReadOnlyMemory{T}"/> or <see cref="System.Buffers.ReadOnlySequence{T}"/> and decoders are handed a span.
/// </summary>
/// <remarks>
/// Copying a record of a few dozen bytes costs a few nanoseconds and keeps the library safe code (pinning the span
/// behind a memory manager would need unsafe code). <see cref="Rent"/> takes the array away from the thread until
/// <see cref="Return"/>, so a decoder called from inside another decoder's field setter gets its own array instead of
/// overwriting the outer payload. The array only grows, up to the largest payload a decoder accepted.
/// </remarks>
internal static class PayloadBuffer
{
    [ThreadStatic]
    private static byte[]? t_buffer;

    /// <summary>Copies <paramref name="payload"/> into the thread's array (a new one if it is lent out or too short).</summary>
    public static byte[] Rent(ReadOnlySpan<byte> payload)
    {
        var buffer = t_buffer;
        t_buffer = null;
        if (buffer is null || buffer.Length < payload.Length)
        {
            buffer = new byte[Math.Max(256, (int)Math.Min(BitOperations.RoundUpToPowerOf2((uint)payload.Length), Array.MaxLength))];
        }

        payload.CopyTo(buffer);
        return buffer;
    }

    /// <summary>Gives the array back to the thread.</summary>
    public static void Return(byte[] buffer) => t_buffer = buffer;
}
