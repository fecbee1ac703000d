using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace StreamKit.MessagePack;

/// <summary>Cuts a stream of concatenated MessagePack objects (a <c>.msgpack</c> file, a socket) into one object per record, without decoding them.</summary>
/// <remarks>
/// <para>
/// MessagePack needs no delimiter between objects: each one's length follows from its headers. A reader keeps a
/// buffer of unread bytes, calls <see cref="TryGetObjectLength(ReadOnlySpan{byte}, out int)"/>, hands
/// <c>buffer[..length]</c> to a decoder on <see cref="OperationStatus.Done"/>, reads more on
/// <see cref="OperationStatus.NeedMoreData"/> (at the end of the stream that means the last object is truncated),
/// and stops on <see cref="OperationStatus.InvalidData"/>: past a malformed object the boundary of the next one is
/// unknowable, so the rest of the stream cannot be cut.
/// </para>
/// <para>
/// Only headers are walked (with MessagePack-CSharp's <see cref="MessagePackCode"/> table), never values: a buffer
/// that ends inside an object is the normal state of a stream read in chunks, and MessagePack-CSharp's reader reports
/// it by throwing (its exception-free skip is internal, and its <see cref="MessagePackReader.Skip"/> has no nesting
/// limit), so the framing answers <see cref="OperationStatus.NeedMoreData"/> without it.
/// </para>
/// <para>
/// Each call walks the headers from the start of the buffer, so an object that arrives in many small reads is
/// walked once per read: read in chunks larger than a typical record. Allocation-free and thread-safe.
/// </para>
/// </remarks>
public static class MessagePackFraming
{
    /// <summary>The deepest nesting of arrays and maps accepted below the value being cut or skipped.</summary>
    /// <remarks>Walking recurses once per level; the limit keeps hostile input from exhausting the stack. <see cref="MessagePackDecoder{T}"/> skips unknown values under the same limit.</remarks>
    public const int MaxDepth = 64;

    /// <summary>Finds the length of the first complete MessagePack object in <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Unread bytes starting at an object boundary.</param>
    /// <param name="length">The first object's length in bytes on <see cref="OperationStatus.Done"/>; otherwise 0.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> when a whole object is present; <see cref="OperationStatus.NeedMoreData"/> when
    /// the buffer ends inside it (or is empty); <see cref="OperationStatus.InvalidData"/> for the reserved byte
    /// <c>0xc1</c>, containers nested deeper than <see cref="MaxDepth"/>, or an object that cannot fit in a span.
    /// </returns>
    public static OperationStatus TryGetObjectLength(ReadOnlySpan<byte> buffer, out int length) =>
        TryGetObjectLength(buffer, int.MaxValue, out length);

    /// <summary>Finds the length of the first complete MessagePack object, rejecting objects longer than <paramref name="maxObjectLength"/>.</summary>
    /// <param name="buffer">Unread bytes starting at an object boundary.</param>
    /// <param name="maxObjectLength">The longest object accepted, in bytes. Headers are checked against it before the data arrives, so a hostile length cannot make the caller buffer gigabytes.</param>
    /// <param name="length">The first object's length in bytes on <see cref="OperationStatus.Done"/>; otherwise 0.</param>
    /// <returns>As <see cref="TryGetObjectLength(ReadOnlySpan{byte}, out int)"/>, plus <see cref="OperationStatus.InvalidData"/> once the object is known to exceed <paramref name="maxObjectLength"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxObjectLength"/> is not positive.</exception>
    public static OperationStatus TryGetObjectLength(ReadOnlySpan<byte> buffer, int maxObjectLength, out int length)
    {
        if (maxObjectLength <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxObjectLength), "The maximum object length must be positive.");
        }

        length = 0;
        var position = 0;
        var status = SkipValue(buffer, ref position, 0, out var required);
        switch (status)
        {
            case OperationStatus.Done when position <= maxObjectLength:
                length = position;
                return OperationStatus.Done;
            case OperationStatus.NeedMoreData when required <= maxObjectLength:
                return OperationStatus.NeedMoreData;
            default:
                return OperationStatus.InvalidData;
        }
    }

    /// <summary>Skips one value at <paramref name="position"/>, telling truncation from invalid data.</summary>
    /// <param name="buffer">The data.</param>
    /// <param name="position">Where the value starts; on <see cref="OperationStatus.Done"/>, where it ends.</param>
    /// <param name="depth">How many containers enclose this value within this walk.</param>
    /// <param name="required">On <see cref="OperationStatus.NeedMoreData"/>, a lower bound on the buffer length the value needs.</param>
    private static OperationStatus SkipValue(ReadOnlySpan<byte> buffer, ref int position, int depth, out long required)
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
            case <= MessagePackCode.MaxFixInt:
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
}
