using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace StreamKit.MessagePack;

/// <summary>Writes MessagePack values to an <see cref="IBufferWriter{T}"/>, each in its smallest encoding.</summary>
/// <remarks>
/// <para>
/// Integers take the shortest format that holds them (non-negative values use the unsigned formats), strings,
/// binaries, arrays, maps and extensions the shortest header: the same choices as the reference implementations,
/// so the output is byte-for-byte what python-msgpack or msgpack-c would write for the same values.
/// </para>
/// <para>
/// <see cref="WriteDouble"/> always writes <c>float64</c>: shrinking a double that happens to be exact in 32 bits
/// would change the wire type a reader sees from one record to the next. Use <see cref="WriteSingle"/> for
/// <c>float32</c>.
/// </para>
/// <para>
/// The writer holds only the buffer writer, so copying it is free; it allocates nothing once the buffer writer has
/// grown. A <c>default</c> instance has no output and throws <see cref="NullReferenceException"/>.
/// Nothing checks that containers get the number of elements their header announced.
/// </para>
/// </remarks>
public readonly struct MessagePackWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer appending to <paramref name="output"/>.</summary>
    /// <param name="output">Where the bytes go; each value calls <c>GetSpan</c> and <c>Advance</c> on it.</param>
    public MessagePackWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Writes nil.</summary>
    public void WriteNil() => WriteCode(MessagePackCode.Nil);

    /// <summary>Writes a boolean.</summary>
    public void WriteBoolean(bool value) => WriteCode(value ? MessagePackCode.True : MessagePackCode.False);

    /// <summary>Writes an integer in the smallest format: a fixint, or a signed format only for negative values.</summary>
    public void WriteInt64(long value)
    {
        if (value >= 0)
        {
            WriteUInt64((ulong)value);
            return;
        }

        var span = _output.GetSpan(9);
        int size;
        if (value >= -32)
        {
            span[0] = unchecked((byte)value);
            size = 1;
        }
        else if (value >= sbyte.MinValue)
        {
            span[0] = MessagePackCode.Int8;
            span[1] = unchecked((byte)value);
            size = 2;
        }
        else if (value >= short.MinValue)
        {
            span[0] = MessagePackCode.Int16;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            size = 3;
        }
        else if (value >= int.MinValue)
        {
            span[0] = MessagePackCode.Int32;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], (int)value);
            size = 5;
        }
        else
        {
            span[0] = MessagePackCode.Int64;
            BinaryPrimitives.WriteInt64BigEndian(span[1..], value);
            size = 9;
        }

        _output.Advance(size);
    }

    /// <summary>Writes a non-negative integer in the smallest format (positive fixint, uint8…uint64).</summary>
    public void WriteUInt64(ulong value)
    {
        var span = _output.GetSpan(9);
        int size;
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            span[0] = (byte)value;
            size = 1;
        }
        else if (value <= byte.MaxValue)
        {
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            size = 2;
        }
        else if (value <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            size = 3;
        }
        else if (value <= uint.MaxValue)
        {
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            size = 5;
        }
        else
        {
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            size = 9;
        }

        _output.Advance(size);
    }

    /// <summary>Writes a <c>float64</c>.</summary>
    public void WriteDouble(double value)
    {
        var span = _output.GetSpan(9);
        span[0] = MessagePackCode.Float64;
        BinaryPrimitives.WriteDoubleBigEndian(span[1..], value);
        _output.Advance(9);
    }

    /// <summary>Writes a <c>float32</c>.</summary>
    public void WriteSingle(float value)
    {
        var span = _output.GetSpan(5);
        span[0] = MessagePackCode.Float32;
        BinaryPrimitives.WriteSingleBigEndian(span[1..], value);
        _output.Advance(5);
    }

    /// <summary>Writes a string from its UTF-8 bytes, which are copied as they are (not validated).</summary>
    public void WriteString(ReadOnlySpan<byte> utf8)
    {
        WriteStringHeader(utf8.Length);
        _output.Write(utf8);
    }

    /// <summary>Writes a string, encoding it to UTF-8 straight into the output (lone surrogates become U+FFFD).</summary>
    public void WriteString(ReadOnlySpan<char> value)
    {
        var byteCount = Encoding.UTF8.GetByteCount(value);
        WriteStringHeader(byteCount);
        var span = _output.GetSpan(byteCount);
        var written = Encoding.UTF8.GetBytes(value, span);
        _output.Advance(written);
    }

    /// <summary>Writes the header of a string of <paramref name="byteCount"/> UTF-8 bytes; the caller writes the bytes with <see cref="WriteRaw"/>.</summary>
    public void WriteStringHeader(int byteCount)
    {
        if (byteCount < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(byteCount), "A length cannot be negative.");
        }

        var span = _output.GetSpan(5);
        int size;
        if (byteCount <= 31)
        {
            span[0] = (byte)(MessagePackCode.MinFixStr | byteCount);
            size = 1;
        }
        else
        {
            size = WriteLengthHeader(span, (uint)byteCount, MessagePackCode.Str8, MessagePackCode.Str16, MessagePackCode.Str32);
        }

        _output.Advance(size);
    }

    /// <summary>Writes a byte array (bin8, bin16, bin32).</summary>
    public void WriteBinary(ReadOnlySpan<byte> bytes)
    {
        var span = _output.GetSpan(5);
        var size = WriteLengthHeader(span, (uint)bytes.Length, MessagePackCode.Bin8, MessagePackCode.Bin16, MessagePackCode.Bin32);
        _output.Advance(size);
        _output.Write(bytes);
    }

    /// <summary>Writes an array header; the caller then writes <paramref name="count"/> values.</summary>
    public void WriteArrayHeader(int count)
    {
        if (count < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count), "A count cannot be negative.");
        }

        WriteContainerHeader((uint)count, MessagePackCode.MinFixArray, MessagePackCode.Array16, MessagePackCode.Array32);
    }

    /// <summary>Writes a map header; the caller then writes <paramref name="count"/> key/value pairs.</summary>
    public void WriteMapHeader(int count)
    {
        if (count < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(count), "A count cannot be negative.");
        }

        WriteContainerHeader((uint)count, MessagePackCode.MinFixMap, MessagePackCode.Map16, MessagePackCode.Map32);
    }

    /// <summary>Writes an extension header; the caller then writes <paramref name="length"/> data bytes with <see cref="WriteRaw"/>.</summary>
    /// <remarks>Lengths 1, 2, 4, 8 and 16 use the fixext formats.</remarks>
    public void WriteExtensionHeader(sbyte typeCode, int length)
    {
        if (length < 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(length), "A length cannot be negative.");
        }

        var span = _output.GetSpan(6);
        int size;
        switch (length)
        {
            case 1:
                span[0] = MessagePackCode.FixExt1;
                size = 1;
                break;
            case 2:
                span[0] = MessagePackCode.FixExt2;
                size = 1;
                break;
            case 4:
                span[0] = MessagePackCode.FixExt4;
                size = 1;
                break;
            case 8:
                span[0] = MessagePackCode.FixExt8;
                size = 1;
                break;
            case 16:
                span[0] = MessagePackCode.FixExt16;
                size = 1;
                break;
            default:
                size = WriteLengthHeader(span, (uint)length, MessagePackCode.Ext8, MessagePackCode.Ext16, MessagePackCode.Ext32);
                break;
        }

        span[size] = unchecked((byte)typeCode);
        _output.Advance(size + 1);
    }

    /// <summary>Writes an extension value.</summary>
    public void WriteExtension(sbyte typeCode, ReadOnlySpan<byte> data)
    {
        WriteExtensionHeader(typeCode, data.Length);
        _output.Write(data);
    }

    /// <summary>Writes a timestamp extension (type -1) in the smallest of its 32-, 64- and 96-bit forms.</summary>
    /// <param name="seconds">Seconds since the Unix epoch, UTC.</param>
    /// <param name="nanoseconds">Nanoseconds within the second, 0…999,999,999.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nanoseconds"/> is a second or more.</exception>
    public void WriteTimestamp(long seconds, uint nanoseconds)
    {
        if (nanoseconds > 999_999_999)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(nanoseconds), "Nanoseconds must be below one second.");
        }

        var span = _output.GetSpan(15);
        int size;
        if ((ulong)seconds >> 34 == 0)
        {
            if (nanoseconds == 0 && seconds <= uint.MaxValue)
            {
                span[0] = MessagePackCode.FixExt4;
                span[1] = unchecked((byte)MessagePackCode.TimestampExtensionType);
                BinaryPrimitives.WriteUInt32BigEndian(span[2..], (uint)seconds);
                size = 6;
            }
            else
            {
                span[0] = MessagePackCode.FixExt8;
                span[1] = unchecked((byte)MessagePackCode.TimestampExtensionType);
                BinaryPrimitives.WriteUInt64BigEndian(span[2..], ((ulong)nanoseconds << 34) | (ulong)seconds);
                size = 10;
            }
        }
        else
        {
            span[0] = MessagePackCode.Ext8;
            span[1] = 12;
            span[2] = unchecked((byte)MessagePackCode.TimestampExtensionType);
            BinaryPrimitives.WriteUInt32BigEndian(span[3..], nanoseconds);
            BinaryPrimitives.WriteInt64BigEndian(span[7..], seconds);
            size = 15;
        }

        _output.Advance(size);
    }

    /// <summary>Writes milliseconds since the Unix epoch as a timestamp extension (type -1), in its smallest form.</summary>
    public void WriteTimestampMillis(long milliseconds)
    {
        // Floor division: -1 ms is second -1 plus 999,000,000 ns, as the extension keeps nanoseconds non-negative.
        var seconds = Math.DivRem(milliseconds, 1000, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += 1000;
        }

        WriteTimestamp(seconds, (uint)remainder * 1_000_000);
    }

    /// <summary>Copies bytes that already are MessagePack (a pre-encoded key, a value kept from a reader) to the output.</summary>
    /// <remarks>Nothing checks the bytes: writing anything but whole, valid values corrupts the output.</remarks>
    public void WriteRaw(ReadOnlySpan<byte> messagePack) => _output.Write(messagePack);

    private static int WriteLengthHeader(Span<byte> span, uint length, byte code8, byte code16, byte code32)
    {
        if (length <= byte.MaxValue)
        {
            span[0] = code8;
            span[1] = (byte)length;
            return 2;
        }

        if (length <= ushort.MaxValue)
        {
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            return 3;
        }

        span[0] = code32;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], length);
        return 5;
    }

    private void WriteContainerHeader(uint count, byte fixCode, byte code16, byte code32)
    {
        var span = _output.GetSpan(5);
        int size;
        if (count <= 15)
        {
            span[0] = (byte)(fixCode | count);
            size = 1;
        }
        else if (count <= ushort.MaxValue)
        {
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count);
            size = 3;
        }
        else
        {
            span[0] = code32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], count);
            size = 5;
        }

        _output.Advance(size);
    }

    private void WriteCode(byte code)
    {
        var span = _output.GetSpan(1);
        span[0] = code;
        _output.Advance(1);
    }
}
