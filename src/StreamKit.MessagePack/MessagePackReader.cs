using System.Buffers;
using System.Buffers.Binary;

namespace StreamKit.MessagePack;

/// <summary>Reads MessagePack values from a span, one at a time, without allocating or throwing.</summary>
/// <remarks>
/// <para>
/// Every <c>TryRead*</c> method returns <see langword="false"/> and leaves the position unchanged when the next value
/// is of another type, does not fit the requested .NET type, or is truncated or malformed, so a caller can probe
/// (<see cref="TryReadNil"/>, then <see cref="TryReadInt64"/>…) and report bad input without exceptions.
/// Copying the reader (it is a value) saves a position to come back to.
/// </para>
/// <para>
/// Strings come back as raw UTF-8 bytes that are not validated: a caller that stores them should check them
/// (<see cref="System.Text.Unicode.Utf8.IsValid(ReadOnlySpan{byte})"/>). Returned spans point into the input and are
/// valid as long as it is.
/// </para>
/// <para>
/// Container headers are checked against the bytes left (each element takes at least one byte), so a hostile
/// <c>array32</c> count cannot make a caller loop or allocate for four billion elements.
/// </para>
/// </remarks>
public ref struct MessagePackReader
{
    /// <summary>The deepest nesting of arrays and maps <see cref="TrySkip"/> and the framing accept below the value they start at.</summary>
    /// <remarks>Skipping recurses once per level; the limit keeps hostile input from exhausting the stack.</remarks>
    public const int MaxDepth = 64;

    private readonly ReadOnlySpan<byte> _buffer;
    private int _position;

    /// <summary>Creates a reader positioned at the start of <paramref name="buffer"/>.</summary>
    /// <param name="buffer">MessagePack bytes: one value, several concatenated values, or part of one.</param>
    public MessagePackReader(ReadOnlySpan<byte> buffer)
    {
        _buffer = buffer;
        _position = 0;
    }

    /// <summary>How many bytes have been read.</summary>
    public readonly int Consumed => _position;

    /// <summary>How many bytes are left to read.</summary>
    public readonly int Remaining => _buffer.Length - _position;

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool End => _position >= _buffer.Length;

    /// <summary>The bytes not read yet.</summary>
    public readonly ReadOnlySpan<byte> UnreadSpan => _buffer[_position..];

    /// <summary>Tells the family of the next value without reading it.</summary>
    /// <param name="type">The next value's family; <see cref="MessagePackType.Invalid"/> for the reserved byte <c>0xc1</c>.</param>
    /// <returns><see langword="false"/> at the end of the data or on the reserved byte.</returns>
    /// <remarks>Only the first byte is looked at: the value may still be truncated.</remarks>
    public readonly bool TryPeekType(out MessagePackType type)
    {
        if (_position >= _buffer.Length)
        {
            type = MessagePackType.Invalid;
            return false;
        }

        type = MessagePackCode.GetType(_buffer[_position]);
        return type != MessagePackType.Invalid;
    }

    /// <summary>Reads a nil.</summary>
    /// <returns><see langword="false"/> when the next value is not nil.</returns>
    public bool TryReadNil()
    {
        if (_position < _buffer.Length && _buffer[_position] == MessagePackCode.Nil)
        {
            _position++;
            return true;
        }

        return false;
    }

    /// <summary>Reads a boolean.</summary>
    /// <returns><see langword="false"/> when the next value is not a boolean.</returns>
    public bool TryReadBoolean(out bool value)
    {
        value = false;
        if (_position >= _buffer.Length)
        {
            return false;
        }

        switch (_buffer[_position])
        {
            case MessagePackCode.True:
                value = true;
                break;
            case MessagePackCode.False:
                break;
            default:
                return false;
        }

        _position++;
        return true;
    }

    /// <summary>Reads an integer of any wire width that fits a <see cref="long"/>.</summary>
    /// <returns><see langword="false"/> when the next value is not an integer, or is a <c>uint64</c> above <see cref="long.MaxValue"/>.</returns>
    public bool TryReadInt64(out long value)
    {
        value = 0;
        var span = UnreadSpan;
        if (span.IsEmpty)
        {
            return false;
        }

        var code = span[0];
        int size;
        switch (code)
        {
            case <= MessagePackCode.MaxPositiveFixInt:
                value = code;
                size = 1;
                break;
            case >= MessagePackCode.MinNegativeFixInt:
                value = (sbyte)code;
                size = 1;
                break;
            case MessagePackCode.UInt8 when span.Length >= 2:
                value = span[1];
                size = 2;
                break;
            case MessagePackCode.UInt16 when span.Length >= 3:
                value = BinaryPrimitives.ReadUInt16BigEndian(span[1..]);
                size = 3;
                break;
            case MessagePackCode.UInt32 when span.Length >= 5:
                value = BinaryPrimitives.ReadUInt32BigEndian(span[1..]);
                size = 5;
                break;
            case MessagePackCode.UInt64 when span.Length >= 9:
                var unsigned = BinaryPrimitives.ReadUInt64BigEndian(span[1..]);
                if (unsigned > long.MaxValue)
                {
                    return false;
                }

                value = (long)unsigned;
                size = 9;
                break;
            case MessagePackCode.Int8 when span.Length >= 2:
                value = (sbyte)span[1];
                size = 2;
                break;
            case MessagePackCode.Int16 when span.Length >= 3:
                value = BinaryPrimitives.ReadInt16BigEndian(span[1..]);
                size = 3;
                break;
            case MessagePackCode.Int32 when span.Length >= 5:
                value = BinaryPrimitives.ReadInt32BigEndian(span[1..]);
                size = 5;
                break;
            case MessagePackCode.Int64 when span.Length >= 9:
                value = BinaryPrimitives.ReadInt64BigEndian(span[1..]);
                size = 9;
                break;
            default:
                return false;
        }

        _position += size;
        return true;
    }

    /// <summary>Reads an integer of any wire width that fits an <see cref="int"/>.</summary>
    /// <returns><see langword="false"/> when the next value is not an integer or is out of range.</returns>
    public bool TryReadInt32(out int value)
    {
        var probe = this;
        if (probe.TryReadInt64(out var wide) && wide is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)wide;
            this = probe;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads a non-negative integer of any wire width, including <c>uint64</c> values above <see cref="long.MaxValue"/>.</summary>
    /// <returns><see langword="false"/> when the next value is not an integer or is negative.</returns>
    public bool TryReadUInt64(out ulong value)
    {
        value = 0;
        var span = UnreadSpan;
        if (span.Length >= 9 && span[0] == MessagePackCode.UInt64)
        {
            value = BinaryPrimitives.ReadUInt64BigEndian(span[1..]);
            _position += 9;
            return true;
        }

        var probe = this;
        if (probe.TryReadInt64(out var signed) && signed >= 0)
        {
            value = (ulong)signed;
            this = probe;
            return true;
        }

        return false;
    }

    /// <summary>Reads a <c>float32</c> (widened exactly) or <c>float64</c>.</summary>
    /// <returns><see langword="false"/> when the next value is not a float; integers are not converted here.</returns>
    public bool TryReadDouble(out double value)
    {
        value = 0;
        var span = UnreadSpan;
        if (span.Length >= 5 && span[0] == MessagePackCode.Float32)
        {
            value = BinaryPrimitives.ReadSingleBigEndian(span[1..]);
            _position += 5;
            return true;
        }

        if (span.Length >= 9 && span[0] == MessagePackCode.Float64)
        {
            value = BinaryPrimitives.ReadDoubleBigEndian(span[1..]);
            _position += 9;
            return true;
        }

        return false;
    }

    /// <summary>Reads a string as its raw UTF-8 bytes (fixstr, str8, str16, str32).</summary>
    /// <returns><see langword="false"/> when the next value is not a string or is truncated.</returns>
    /// <remarks>The bytes are not validated as UTF-8.</remarks>
    public bool TryReadString(out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        var span = UnreadSpan;
        if (span.IsEmpty)
        {
            return false;
        }

        var code = span[0];
        int headerSize;
        long length;
        switch (code)
        {
            case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr:
                headerSize = 1;
                length = code & 0x1f;
                break;
            case MessagePackCode.Str8:
            case MessagePackCode.Str16:
            case MessagePackCode.Str32:
                if (!TryReadLength(span, code - MessagePackCode.Str8, out headerSize, out length))
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        return TryTakePayload(span, headerSize, length, out utf8);
    }

    /// <summary>Reads a byte array (bin8, bin16, bin32).</summary>
    /// <returns><see langword="false"/> when the next value is not binary or is truncated.</returns>
    public bool TryReadBinary(out ReadOnlySpan<byte> bytes)
    {
        bytes = default;
        var span = UnreadSpan;
        if (span.IsEmpty || span[0] is < MessagePackCode.Bin8 or > MessagePackCode.Bin32)
        {
            return false;
        }

        return TryReadLength(span, span[0] - MessagePackCode.Bin8, out var headerSize, out var length)
            && TryTakePayload(span, headerSize, length, out bytes);
    }

    /// <summary>Reads an array header; the <paramref name="count"/> elements follow it.</summary>
    /// <returns><see langword="false"/> when the next value is not an array, or declares more elements than bytes remain.</returns>
    public bool TryReadArrayHeader(out int count) =>
        TryReadContainerHeader(MessagePackCode.MinFixArray, MessagePackCode.Array16, bytesPerElement: 1, out count);

    /// <summary>Reads a map header; <paramref name="count"/> key/value pairs follow it.</summary>
    /// <returns><see langword="false"/> when the next value is not a map, or declares more pairs than bytes remain.</returns>
    public bool TryReadMapHeader(out int count) =>
        TryReadContainerHeader(MessagePackCode.MinFixMap, MessagePackCode.Map16, bytesPerElement: 2, out count);

    /// <summary>Reads an extension header (fixext1…16, ext8/16/32); <paramref name="length"/> data bytes follow it.</summary>
    /// <returns><see langword="false"/> when the next value is not an extension or its data is truncated.</returns>
    public bool TryReadExtensionHeader(out sbyte typeCode, out int length)
    {
        var probe = this;
        if (probe.TryReadExtension(out typeCode, out var data))
        {
            length = data.Length;
            _position = probe._position - data.Length;
            return true;
        }

        length = 0;
        return false;
    }

    /// <summary>Reads an extension value: its application-defined type and its data.</summary>
    /// <returns><see langword="false"/> when the next value is not an extension or is truncated.</returns>
    public bool TryReadExtension(out sbyte typeCode, out ReadOnlySpan<byte> data)
    {
        typeCode = 0;
        data = default;
        var span = UnreadSpan;
        if (span.IsEmpty)
        {
            return false;
        }

        var code = span[0];
        int headerSize;
        long length;
        switch (code)
        {
            case >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16:
                headerSize = 1;
                length = 1L << (code - MessagePackCode.FixExt1);
                break;
            case >= MessagePackCode.Ext8 and <= MessagePackCode.Ext32:
                if (!TryReadLength(span, code - MessagePackCode.Ext8, out headerSize, out length))
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        // The type byte sits between the header and the data.
        if (span.Length <= headerSize)
        {
            return false;
        }

        var type = (sbyte)span[headerSize];
        if (!TryTakePayload(span, headerSize + 1, length, out data))
        {
            return false;
        }

        typeCode = type;
        return true;
    }

    /// <summary>Reads a timestamp extension (type -1) in its 32-, 64- or 96-bit form.</summary>
    /// <param name="seconds">Seconds since the Unix epoch, UTC; negative before 1970.</param>
    /// <param name="nanoseconds">Nanoseconds within the second, always 0…999,999,999 (also before 1970).</param>
    /// <returns><see langword="false"/> when the next value is not a timestamp, its length is not 4, 8 or 12, or its nanoseconds exceed 999,999,999.</returns>
    /// <remarks>The form is recognised by data length whatever extension header carries it, as the specification defines it.</remarks>
    public bool TryReadTimestamp(out long seconds, out uint nanoseconds)
    {
        seconds = 0;
        nanoseconds = 0;
        var probe = this;
        if (!probe.TryReadExtension(out var type, out var data) || type != MessagePackCode.TimestampExtensionType)
        {
            return false;
        }

        long s;
        uint ns;
        switch (data.Length)
        {
            case 4:
                s = BinaryPrimitives.ReadUInt32BigEndian(data);
                ns = 0;
                break;
            case 8:
                var packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                ns = (uint)(packed >> 34);
                s = (long)(packed & 0x3_ffff_ffffUL);
                break;
            case 12:
                ns = BinaryPrimitives.ReadUInt32BigEndian(data);
                s = BinaryPrimitives.ReadInt64BigEndian(data[4..]);
                break;
            default:
                return false;
        }

        if (ns > 999_999_999)
        {
            return false;
        }

        seconds = s;
        nanoseconds = ns;
        this = probe;
        return true;
    }

    /// <summary>Reads a timestamp extension as milliseconds since the Unix epoch, truncating sub-millisecond precision toward the past.</summary>
    /// <returns><see langword="false"/> when the next value is not a valid timestamp or its milliseconds overflow a <see cref="long"/>.</returns>
    public bool TryReadTimestampMillis(out long milliseconds)
    {
        milliseconds = 0;
        var probe = this;
        if (!probe.TryReadTimestamp(out var seconds, out var nanoseconds))
        {
            return false;
        }

        // Nanoseconds are never negative, so adding them floors toward the past for pre-1970 instants too. Int128
        // because the 96-bit form carries any int64 of seconds, and long.MinValue ms needs a second below
        // long.MinValue / 1000 plus a positive remainder.
        var millis = ((Int128)seconds * 1000) + (nanoseconds / 1_000_000);
        if (millis < long.MinValue || millis > long.MaxValue)
        {
            return false;
        }

        milliseconds = (long)millis;
        this = probe;
        return true;
    }

    /// <summary>Skips the next value, including everything nested in it.</summary>
    /// <returns><see langword="false"/> when the value is truncated, malformed, or nests containers more than <see cref="MaxDepth"/> deep.</returns>
    public bool TrySkip()
    {
        var position = _position;
        if (SkipValue(_buffer, ref position, 0, out _) != OperationStatus.Done)
        {
            return false;
        }

        _position = position;
        return true;
    }

    /// <summary>Skips one value at <paramref name="position"/>, telling truncation from invalid data for the framing.</summary>
    /// <param name="buffer">The data.</param>
    /// <param name="position">Where the value starts; on <see cref="OperationStatus.Done"/>, where it ends.</param>
    /// <param name="depth">How many containers enclose this value within this skip.</param>
    /// <param name="required">On <see cref="OperationStatus.NeedMoreData"/>, a lower bound on the buffer length the value needs.</param>
    internal static OperationStatus SkipValue(ReadOnlySpan<byte> buffer, ref int position, int depth, out long required)
    {
        required = 0;
        if (position >= buffer.Length)
        {
            required = position + 1L;
            return OperationStatus.NeedMoreData;
        }

        var code = buffer[position];
        var lengthSize = 0;     // bytes of big-endian length after the code
        long payload = 0;       // bytes of data after the header (string, binary, extension data, scalar)
        var typeByte = 0;       // extensions carry a type byte between length and data
        long elements = -1;     // values a container holds (two per map entry); -1 for a non-container
        var elementsPerCount = 1;
        switch (code)
        {
            case <= MessagePackCode.MaxPositiveFixInt:
            case >= MessagePackCode.MinNegativeFixInt:
            case MessagePackCode.Nil:
            case MessagePackCode.False:
            case MessagePackCode.True:
                break;
            case <= MessagePackCode.MaxFixMap:
                elements = 2 * (code & 0x0f);
                break;
            case <= MessagePackCode.MaxFixArray:
                elements = code & 0x0f;
                break;
            case <= MessagePackCode.MaxFixStr:
                payload = code & 0x1f;
                break;
            case MessagePackCode.NeverUsed:
                return OperationStatus.InvalidData;
            case MessagePackCode.Bin8 or MessagePackCode.Str8:
                lengthSize = 1;
                break;
            case MessagePackCode.Bin16 or MessagePackCode.Str16:
                lengthSize = 2;
                break;
            case MessagePackCode.Bin32 or MessagePackCode.Str32:
                lengthSize = 4;
                break;
            case MessagePackCode.Ext8:
                lengthSize = 1;
                typeByte = 1;
                break;
            case MessagePackCode.Ext16:
                lengthSize = 2;
                typeByte = 1;
                break;
            case MessagePackCode.Ext32:
                lengthSize = 4;
                typeByte = 1;
                break;
            case MessagePackCode.Float32:
                payload = 4;
                break;
            case MessagePackCode.Float64:
                payload = 8;
                break;
            case MessagePackCode.UInt8 or MessagePackCode.Int8:
                payload = 1;
                break;
            case MessagePackCode.UInt16 or MessagePackCode.Int16:
                payload = 2;
                break;
            case MessagePackCode.UInt32 or MessagePackCode.Int32:
                payload = 4;
                break;
            case MessagePackCode.UInt64 or MessagePackCode.Int64:
                payload = 8;
                break;
            case >= MessagePackCode.FixExt1 and <= MessagePackCode.FixExt16:
                typeByte = 1;
                payload = 1L << (code - MessagePackCode.FixExt1);
                break;
            case MessagePackCode.Array16:
                lengthSize = 2;
                elements = 0;
                break;
            case MessagePackCode.Array32:
                lengthSize = 4;
                elements = 0;
                break;
            case MessagePackCode.Map16:
                lengthSize = 2;
                elements = 0;
                elementsPerCount = 2;
                break;
            default: // Map32: every byte value is covered above.
                lengthSize = 4;
                elements = 0;
                elementsPerCount = 2;
                break;
        }

        long next = position + 1L;
        if (lengthSize > 0)
        {
            if (buffer.Length - next < lengthSize)
            {
                required = next + lengthSize;
                return OperationStatus.NeedMoreData;
            }

            var lengthBytes = buffer.Slice((int)next, lengthSize);
            long length = lengthSize switch
            {
                1 => lengthBytes[0],
                2 => BinaryPrimitives.ReadUInt16BigEndian(lengthBytes),
                _ => BinaryPrimitives.ReadUInt32BigEndian(lengthBytes),
            };
            next += lengthSize;
            if (elements >= 0)
            {
                elements = length * elementsPerCount;
            }
            else
            {
                payload = length;
            }
        }

        if (elements < 0)
        {
            next += typeByte + payload;
            if (next > buffer.Length)
            {
                required = next;
                return OperationStatus.NeedMoreData;
            }

            position = (int)next;
            return OperationStatus.Done;
        }

        if (depth >= MaxDepth)
        {
            return OperationStatus.InvalidData;
        }

        // Every element takes at least a byte: a count beyond the bytes left can only be truncated, and this check
        // bounds the loop below by the buffer length whatever count the header claims.
        if (elements > buffer.Length - next)
        {
            required = next + elements;
            return OperationStatus.NeedMoreData;
        }

        var cursor = (int)next;
        for (long i = 0; i < elements; i++)
        {
            var status = SkipValue(buffer, ref cursor, depth + 1, out required);
            if (status != OperationStatus.Done)
            {
                return status;
            }
        }

        position = cursor;
        return OperationStatus.Done;
    }

    /// <summary>Reads the 1-, 2- or 4-byte big-endian length that follows a code byte.</summary>
    /// <param name="span">The data, starting at the code byte.</param>
    /// <param name="sizeIndex">0 for a 1-byte length, 1 for 2 bytes, 2 for 4 bytes: the order of the 8/16/32 codes in the specification.</param>
    /// <param name="headerSize">The code byte plus the length bytes.</param>
    /// <param name="length">The length read.</param>
    private static bool TryReadLength(ReadOnlySpan<byte> span, int sizeIndex, out int headerSize, out long length)
    {
        var lengthSize = 1 << sizeIndex;
        headerSize = 1 + lengthSize;
        length = 0;
        if (span.Length < headerSize)
        {
            return false;
        }

        length = lengthSize switch
        {
            1 => span[1],
            2 => BinaryPrimitives.ReadUInt16BigEndian(span[1..]),
            _ => BinaryPrimitives.ReadUInt32BigEndian(span[1..]),
        };
        return true;
    }

    private bool TryTakePayload(ReadOnlySpan<byte> span, int headerSize, long length, out ReadOnlySpan<byte> payload)
    {
        if (length > span.Length - headerSize)
        {
            payload = default;
            return false;
        }

        payload = span.Slice(headerSize, (int)length);
        _position += headerSize + (int)length;
        return true;
    }

    /// <summary>
    /// Reads a fix/16/32 container header: <paramref name="minFix"/> … <paramref name="minFix"/> + 15 hold the count in
    /// their low nibble, <paramref name="code16"/> a 2-byte count and the next code a 4-byte one. A count that cannot
    /// fit the remaining bytes (at least <paramref name="bytesPerElement"/> each) is rejected before anything is read.
    /// </summary>
    private bool TryReadContainerHeader(byte minFix, byte code16, int bytesPerElement, out int count)
    {
        count = 0;
        var span = UnreadSpan;
        if (span.IsEmpty)
        {
            return false;
        }

        var code = span[0];
        int headerSize;
        long length;
        if (code >= minFix && code <= minFix + 0x0f)
        {
            headerSize = 1;
            length = code & 0x0f;
        }
        else if (code == code16 || code == code16 + 1)
        {
            // The 16-bit form has a 2-byte length (index 1), the 32-bit form a 4-byte one (index 2).
            if (!TryReadLength(span, code - code16 + 1, out headerSize, out length))
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        if (length * bytesPerElement > span.Length - headerSize)
        {
            return false;
        }

        count = (int)length;
        _position += headerSize;
        return true;
    }
}
