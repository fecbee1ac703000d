using System.Buffers.Binary;
using System.Globalization;
using MessagePack;

namespace StreamKit.MessagePack;

/// <content>
/// The flat path: a scanner over the payload span for the common shape of a record, a map whose keys are short
/// strings and whose values are scalars, without copying the payload or running MessagePackReader. At anything else
/// (another header or key form, a container, a uint64 above <see cref="long.MaxValue"/>, an extension, bytes that end early or break the format) it
/// stops before that pair, and the reader's path resumes there with the pairs already stored, so each setter runs
/// once per key and rejected payloads get the reader's reasons.
/// </content>
public sealed partial class MessagePackDecoder<T>
{
    private enum FlatResult
    {
        Decoded,
        Rejected,
        Stopped,
    }

    /// <summary>Reads every pair it can prove well-formed from the payload's bytes; on <see cref="FlatResult.Stopped"/>, <paramref name="state"/> says where the reader resumes.</summary>
    private FlatResult TryDecodeFlat(ReadOnlySpan<byte> payload, ref T record, ref FlatState state, out string? error)
    {
        error = null;
        int count;
        int position;
        var code = payload[0];
        if (code is >= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap)
        {
            count = code & 0x0f;
            position = 1;
        }
        else if (code == MessagePackCode.Map16 && payload.Length >= 3)
        {
            count = BinaryPrimitives.ReadUInt16BigEndian(payload[1..]);
            position = 3;
        }
        else
        {
            return FlatResult.Stopped; // anything else the reader reads or rejects from the start
        }

        // The reader refuses a header that claims more pairs than the bytes left can hold; a pair takes two bytes.
        if (count > (payload.Length - position) / 2)
        {
            return FlatResult.Stopped;
        }

        ulong seen = 0;
        ulong present = 0;
        for (var i = 0; i < count; i++)
        {
            var pairStart = position;
            if (!TryReadString(payload, ref position, out var key))
            {
                state = new FlatState(pairStart, count, i, seen, present);
                return FlatResult.Stopped;
            }

            var field = Find(key, i);
            if (field is null || !field.CanSet)
            {
                if (!TrySkipScalar(payload, ref position))
                {
                    state = new FlatState(pairStart, count, i, seen, present);
                    return FlatResult.Stopped;
                }

                continue;
            }

            var bit = 1UL << field.Index;
            if ((present & bit) != 0)
            {
                error = $"duplicate field '{field.Name}'";
                return FlatResult.Rejected;
            }

            if (position >= payload.Length)
            {
                state = new FlatState(pairStart, count, i, seen, present);
                return FlatResult.Stopped;
            }

            code = payload[position];
            if (code == MessagePackCode.Nil)
            {
                position++;
                present |= bit;
                continue;
            }

            if (TryReadInteger(payload, ref position, out var integer))
            {
                if (!field.SetInt64(ref record, integer))
                {
                    error = RejectedInteger(field, integer);
                    return FlatResult.Rejected;
                }
            }
            else if (TryReadString(payload, ref position, out var utf8))
            {
                if (!TryStoreString(field, utf8, ref record, out error))
                {
                    return FlatResult.Rejected;
                }
            }
            else if (code is MessagePackCode.True or MessagePackCode.False)
            {
                position++;
                if (!TryStoreBoolean(field, code == MessagePackCode.True, ref record, out error))
                {
                    return FlatResult.Rejected;
                }
            }
            else if (TryReadFloat(payload, ref position, out var number))
            {
                if (!TryStoreDouble(field, number, ref record, out error))
                {
                    return FlatResult.Rejected;
                }
            }
            else
            {
                state = new FlatState(pairStart, count, i, seen, present);
                return FlatResult.Stopped;
            }

            present |= bit;
            seen |= bit;
        }

        if (position != payload.Length)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"{payload.Length - position} trailing bytes after the map");
            return FlatResult.Rejected;
        }

        var missing = _map.FirstMissing(seen);
        if (missing is not null)
        {
            error = $"missing field '{missing}'";
            return FlatResult.Rejected;
        }

        return FlatResult.Decoded;
    }

    /// <summary>Reads a fixstr or str8 whose bytes are all present.</summary>
    private static bool TryReadString(ReadOnlySpan<byte> payload, ref int position, out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        var p = position;
        if ((uint)p >= (uint)payload.Length)
        {
            return false;
        }

        int length;
        var code = payload[p];
        if (code is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr)
        {
            length = code & 0x1f;
            p++;
        }
        else if (code == MessagePackCode.Str8 && p + 1 < payload.Length)
        {
            length = payload[p + 1];
            p += 2;
        }
        else
        {
            return false;
        }

        if (length > payload.Length - p)
        {
            return false;
        }

        utf8 = payload.Slice(p, length);
        position = p + length;
        return true;
    }

    /// <summary>Reads an integer that fits a <see cref="long"/>, when all its bytes are present.</summary>
    private static bool TryReadInteger(ReadOnlySpan<byte> payload, ref int position, out long value)
    {
        var code = payload[position];
        if (code <= MessagePackCode.MaxFixInt)
        {
            value = code;
            position++;
            return true;
        }

        if (code >= MessagePackCode.MinNegativeFixInt)
        {
            value = (sbyte)code;
            position++;
            return true;
        }

        var data = payload[(position + 1)..];
        switch (code)
        {
            case MessagePackCode.UInt8 when data.Length >= 1:
                value = data[0];
                position += 2;
                return true;
            case MessagePackCode.Int8 when data.Length >= 1:
                value = (sbyte)data[0];
                position += 2;
                return true;
            case MessagePackCode.UInt16 when data.Length >= 2:
                value = BinaryPrimitives.ReadUInt16BigEndian(data);
                position += 3;
                return true;
            case MessagePackCode.Int16 when data.Length >= 2:
                value = BinaryPrimitives.ReadInt16BigEndian(data);
                position += 3;
                return true;
            case MessagePackCode.UInt32 when data.Length >= 4:
                value = BinaryPrimitives.ReadUInt32BigEndian(data);
                position += 5;
                return true;
            case MessagePackCode.Int32 when data.Length >= 4:
                value = BinaryPrimitives.ReadInt32BigEndian(data);
                position += 5;
                return true;
            case MessagePackCode.Int64 when data.Length >= 8:
                value = BinaryPrimitives.ReadInt64BigEndian(data);
                position += 9;
                return true;
            case MessagePackCode.UInt64 when data.Length >= 8 && BinaryPrimitives.ReadUInt64BigEndian(data) <= long.MaxValue:
                // MessagePack-CSharp writes every positive long this way; larger values are the reader path's to refuse.
                value = BinaryPrimitives.ReadInt64BigEndian(data);
                position += 9;
                return true;
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Reads a float32 or float64 when all its bytes are present.</summary>
    private static bool TryReadFloat(ReadOnlySpan<byte> payload, ref int position, out double value)
    {
        var code = payload[position];
        var data = payload[(position + 1)..];
        if (code == MessagePackCode.Float64 && data.Length >= 8)
        {
            value = BinaryPrimitives.ReadDoubleBigEndian(data);
            position += 9;
            return true;
        }

        if (code == MessagePackCode.Float32 && data.Length >= 4)
        {
            value = BinaryPrimitives.ReadSingleBigEndian(data);
            position += 5;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Skips a value that is not a container, when all its bytes are present.</summary>
    private static bool TrySkipScalar(ReadOnlySpan<byte> payload, ref int position)
    {
        if ((uint)position >= (uint)payload.Length)
        {
            return false;
        }

        var code = payload[position];
        if (code is MessagePackCode.Nil or MessagePackCode.True or MessagePackCode.False)
        {
            position++;
            return true;
        }

        return TryReadInteger(payload, ref position, out _)
            || TryReadString(payload, ref position, out _)
            || TryReadFloat(payload, ref position, out _);
    }

    /// <summary>Where the reader's path starts: before the map's header (<see cref="Count"/> -1), or at a key, with what the pairs before it stored.</summary>
    /// <param name="Position">The byte the reader resumes at.</param>
    /// <param name="Count">The map's pair count; -1 when the reader reads the header itself.</param>
    /// <param name="Index">The pair the reader resumes at.</param>
    /// <param name="Seen">The fields stored so far.</param>
    /// <param name="Present">The fields met so far, nil values included.</param>
    private readonly record struct FlatState(int Position, int Count, int Index, ulong Seen, ulong Present)
    {
        public static FlatState Start => new(0, -1, 0, 0, 0);
    }
}
