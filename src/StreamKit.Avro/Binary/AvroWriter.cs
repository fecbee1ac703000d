using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace StreamKit.Avro.Binary;

/// <summary>Writes Avro binary encoding to an <see cref="IBufferWriter{T}"/>; allocation-free once the writer has grown.</summary>
public static class AvroWriter
{
    /// <summary>The most bytes a zigzag varint <c>long</c> takes.</summary>
    public const int MaxVarLongLength = 10;

    /// <summary>Encodes a zigzag varint <c>long</c> into <paramref name="destination"/>.</summary>
    /// <param name="destination">At least <see cref="MaxVarLongLength"/> bytes, or enough for the value.</param>
    /// <param name="value">The value.</param>
    /// <returns>The number of bytes written.</returns>
    public static int WriteVarLong(Span<byte> destination, long value)
    {
        var raw = (ulong)((value << 1) ^ (value >> 63));
        var i = 0;
        while (raw >= 0x80)
        {
            destination[i++] = (byte)(raw | 0x80);
            raw >>= 7;
        }

        destination[i++] = (byte)raw;
        return i;
    }

    /// <summary>Writes nothing: <c>null</c> takes zero bytes; present for symmetry with the schema.</summary>
    /// <param name="output">The output (unused).</param>
    public static void WriteNull(IBufferWriter<byte> output) => ArgumentNullException.ThrowIfNull(output);

    /// <summary>Writes a boolean as one byte.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">The value.</param>
    public static void WriteBoolean(IBufferWriter<byte> output, bool value)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.GetSpan(1)[0] = value ? (byte)1 : (byte)0;
        output.Advance(1);
    }

    /// <summary>Writes an <c>int</c> as a zigzag varint.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">The value.</param>
    public static void WriteInt(IBufferWriter<byte> output, int value) => WriteLong(output, value);

    /// <summary>Writes a <c>long</c> (also union indexes, enum indexes, lengths and block counts) as a zigzag varint.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">The value.</param>
    public static void WriteLong(IBufferWriter<byte> output, long value)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.Advance(WriteVarLong(output.GetSpan(MaxVarLongLength), value));
    }

    /// <summary>Writes a little-endian <c>float</c>.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">The value.</param>
    public static void WriteFloat(IBufferWriter<byte> output, float value)
    {
        ArgumentNullException.ThrowIfNull(output);
        BinaryPrimitives.WriteSingleLittleEndian(output.GetSpan(4), value);
        output.Advance(4);
    }

    /// <summary>Writes a little-endian <c>double</c>.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">The value.</param>
    public static void WriteDouble(IBufferWriter<byte> output, double value)
    {
        ArgumentNullException.ThrowIfNull(output);
        BinaryPrimitives.WriteDoubleLittleEndian(output.GetSpan(8), value);
        output.Advance(8);
    }

    /// <summary>Writes <c>bytes</c>: the length, then the bytes.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">The bytes.</param>
    public static void WriteBytes(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(MaxVarLongLength + value.Length);
        var n = WriteVarLong(span, value.Length);
        value.CopyTo(span[n..]);
        output.Advance(n + value.Length);
    }

    /// <summary>Writes a <c>string</c> from UTF-8 bytes: the length, then the bytes.</summary>
    /// <param name="output">The output.</param>
    /// <param name="utf8">The UTF-8 text.</param>
    public static void WriteString(IBufferWriter<byte> output, ReadOnlySpan<byte> utf8) => WriteBytes(output, utf8);

    /// <summary>Writes a <c>string</c>, transcoding to UTF-8 straight into the output.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">The text.</param>
    public static void WriteString(IBufferWriter<byte> output, string value)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(value);
        var length = Encoding.UTF8.GetByteCount(value);
        var span = output.GetSpan(MaxVarLongLength + length);
        var n = WriteVarLong(span, length);
        Encoding.UTF8.GetBytes(value, span[n..]);
        output.Advance(n + length);
    }

    /// <summary>Writes a <c>fixed</c> value: the bytes alone, no length.</summary>
    /// <param name="output">The output.</param>
    /// <param name="value">Exactly the fixed schema's size in bytes.</param>
    public static void WriteFixed(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        ArgumentNullException.ThrowIfNull(output);
        value.CopyTo(output.GetSpan(value.Length));
        output.Advance(value.Length);
    }
}
