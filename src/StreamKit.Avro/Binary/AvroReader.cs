using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Avro;

namespace StreamKit.Avro.Binary;

/// <summary>Reads Avro binary encoding from a span: every method returns <see langword="false"/> on malformed or truncated input instead of throwing.</summary>
/// <remarks>
/// A failed read leaves the position where it was, so a caller can report the offset. Strings and bytes come back
/// as slices of the input (no copy): they are valid only while the input is. Non-canonical but decodable varints
/// (an over-long zero such as <c>80 00</c>) are accepted, as the Java and C implementations accept them.
/// </remarks>
public ref struct AvroReader
{
    /// <summary>How deeply nested values (records, arrays, maps, unions) skipping follows before giving up.</summary>
    /// <remarks>Recursive schemas make nesting depth a property of the data: without a cap, crafted input could overflow the stack.</remarks>
    public const int MaxDepth = 100;

    private readonly ReadOnlySpan<byte> _data;
    private int _position;

    /// <summary>Creates a reader at the start of <paramref name="data"/>.</summary>
    /// <param name="data">Avro binary data.</param>
    public AvroReader(ReadOnlySpan<byte> data)
    {
        _data = data;
        _position = 0;
    }

    /// <summary>The offset of the next byte to read.</summary>
    public readonly int Position => _position;

    /// <summary>How many bytes are left.</summary>
    public readonly int Remaining => _data.Length - _position;

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool End => _position >= _data.Length;

    /// <summary>The bytes not read yet.</summary>
    public readonly ReadOnlySpan<byte> UnreadSpan => _data[_position..];

    /// <summary>Reads a zigzag varint <c>long</c> (1 to 10 bytes).</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns><see langword="false"/> when the input ends mid-varint or the varint overflows 64 bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadLong(out long value)
    {
        var data = _data;
        var pos = _position;
        if ((uint)pos < (uint)data.Length && data[pos] < 0x80)
        {
            var b = (ulong)data[pos];
            value = (long)(b >> 1) ^ -(long)(b & 1);
            _position = pos + 1;
            return true;
        }

        return TryReadLongSlow(out value);
    }

    /// <summary>Reads a zigzag varint <c>int</c> (1 to 5 bytes).</summary>
    /// <param name="value">The value, or 0 on failure.</param>
    /// <returns><see langword="false"/> when the input ends mid-varint or the varint overflows 32 bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryReadInt(out int value)
    {
        var data = _data;
        var pos = _position;
        uint raw = 0;
        for (var shift = 0; shift < 35; shift += 7)
        {
            if ((uint)pos >= (uint)data.Length)
            {
                break;
            }

            uint b = data[pos++];

            // The fifth byte carries the top four bits; anything above them overflows 32 bits.
            if (shift == 28 && b > 0x0F)
            {
                break;
            }

            raw |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = (int)(raw >> 1) ^ -(int)(raw & 1);
                _position = pos;
                return true;
            }
        }

        value = 0;
        return false;
    }

    /// <summary>Reads a boolean: one byte, 0 or 1.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="false"/> at the end of input or for a byte other than 0 or 1.</returns>
    public bool TryReadBoolean(out bool value)
    {
        if ((uint)_position < (uint)_data.Length && _data[_position] <= 1)
        {
            value = _data[_position++] == 1;
            return true;
        }

        value = false;
        return false;
    }

    /// <summary>Reads a little-endian IEEE 754 <c>float</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="false"/> when fewer than 4 bytes remain.</returns>
    public bool TryReadFloat(out float value)
    {
        if (Remaining >= 4)
        {
            value = BinaryPrimitives.ReadSingleLittleEndian(_data.Slice(_position, 4));
            _position += 4;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads a little-endian IEEE 754 <c>double</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns><see langword="false"/> when fewer than 8 bytes remain.</returns>
    public bool TryReadDouble(out double value)
    {
        if (Remaining >= 8)
        {
            value = BinaryPrimitives.ReadDoubleLittleEndian(_data.Slice(_position, 8));
            _position += 8;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads <c>bytes</c>: a long length, then that many bytes.</summary>
    /// <param name="value">A slice of the input.</param>
    /// <returns><see langword="false"/> for a negative length or one longer than the remaining input.</returns>
    public bool TryReadBytes(out ReadOnlySpan<byte> value)
    {
        var start = _position;
        if (TryReadLong(out var length) && length >= 0 && length <= Remaining)
        {
            value = _data.Slice(_position, (int)length);
            _position += (int)length;
            return true;
        }

        _position = start;
        value = default;
        return false;
    }

    /// <summary>Reads a <c>string</c>: a long length, then that many UTF-8 bytes (not validated).</summary>
    /// <param name="utf8">A slice of the input.</param>
    /// <returns><see langword="false"/> for a negative length or one longer than the remaining input.</returns>
    public bool TryReadString(out ReadOnlySpan<byte> utf8) => TryReadBytes(out utf8);

    /// <summary>Reads a <c>fixed</c> value of <paramref name="size"/> bytes.</summary>
    /// <param name="size">The fixed schema's size.</param>
    /// <param name="value">A slice of the input.</param>
    /// <returns><see langword="false"/> when fewer than <paramref name="size"/> bytes remain.</returns>
    public bool TryReadFixed(int size, out ReadOnlySpan<byte> value)
    {
        if (size >= 0 && size <= Remaining)
        {
            value = _data.Slice(_position, size);
            _position += size;
            return true;
        }

        value = default;
        return false;
    }

    /// <summary>Moves back to an earlier <see cref="Position"/>, to describe a failed read.</summary>
    internal void Rewind(int position) => _position = position;

    /// <summary>Advances past <paramref name="count"/> bytes.</summary>
    /// <param name="count">How many bytes to skip.</param>
    /// <returns><see langword="false"/> when fewer than <paramref name="count"/> bytes remain.</returns>
    public bool TrySkipBytes(int count)
    {
        if (count >= 0 && count <= Remaining)
        {
            _position += count;
            return true;
        }

        return false;
    }

    /// <summary>Advances past one value of the writer schema <paramref name="plan"/> was compiled from, without decoding it.</summary>
    /// <param name="plan">The compiled writer schema of the value.</param>
    /// <returns><see langword="false"/> when the value is malformed, truncated or nested deeper than <see cref="MaxDepth"/>.</returns>
    /// <remarks>Allocates nothing. Arrays and maps written with block byte sizes are skipped in one step.</remarks>
    internal bool TrySkip(AvroSkipPlan plan)
    {
        var start = _position;
        if (TrySkip(plan, 0))
        {
            return true;
        }

        _position = start;
        return false;
    }

    private bool TrySkip(AvroSkipPlan plan, int depth)
    {
        switch (plan.Type)
        {
            case Schema.Type.Null:
                return true;
            case Schema.Type.Boolean:
                return TryReadBoolean(out _);
            case Schema.Type.Int:
            case Schema.Type.Enumeration:
                return TryReadInt(out _);
            case Schema.Type.Long:
                return TryReadLong(out _);
            case Schema.Type.Float:
                return TrySkipBytes(4);
            case Schema.Type.Double:
                return TrySkipBytes(8);
            case Schema.Type.Bytes:
            case Schema.Type.String:
                return TryReadBytes(out _);
            case Schema.Type.Fixed:
                return TrySkipBytes(plan.Size);
        }

        if (depth >= MaxDepth)
        {
            return false;
        }

        var children = plan.Children;
        switch (plan.Type)
        {
            case Schema.Type.Record:
            case Schema.Type.Error:
                for (var i = 0; i < children.Length; i++)
                {
                    if (!TrySkip(children[i], depth + 1))
                    {
                        return false;
                    }
                }

                return true;
            case Schema.Type.Union:
                return TryReadLong(out var branch)
                    && (ulong)branch < (ulong)children.Length
                    && TrySkip(children[(int)branch], depth + 1);
            case Schema.Type.Array:
                return TrySkipBlocks(children[0], isMap: false, depth);
            case Schema.Type.Map:
                return TrySkipBlocks(children[0], isMap: true, depth);
            default:
                return false;
        }
    }

    private bool TrySkipBlocks(AvroSkipPlan items, bool isMap, int depth)
    {
        while (true)
        {
            if (!TryReadLong(out var count))
            {
                return false;
            }

            if (count == 0)
            {
                return true;
            }

            if (count < 0)
            {
                // A negative count is followed by the block's byte size: skip it whole.
                if (!TryReadLong(out var size) || size < 0 || size > Remaining)
                {
                    return false;
                }

                _position += (int)size;
                continue;
            }

            // Every map entry has a key (at least one byte) and every non-zero-width item at least one byte, so
            // the loop below ends with the input; a zero-width item needs no loop at all.
            if (!isMap && items.IsZeroWidth)
            {
                continue;
            }

            for (long i = 0; i < count; i++)
            {
                if ((isMap && !TryReadBytes(out _)) || !TrySkip(items, depth + 1))
                {
                    return false;
                }
            }
        }
    }

    private bool TryReadLongSlow(out long value)
    {
        var data = _data;
        var pos = _position;
        ulong raw = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if ((uint)pos >= (uint)data.Length)
            {
                break;
            }

            ulong b = data[pos++];

            // The tenth byte carries the top bit only.
            if (shift == 63 && b > 1)
            {
                break;
            }

            raw |= (b & 0x7F) << shift;
            if (b < 0x80)
            {
                value = (long)(raw >> 1) ^ -(long)(raw & 1);
                _position = pos;
                return true;
            }
        }

        value = 0;
        return false;
    }
}
