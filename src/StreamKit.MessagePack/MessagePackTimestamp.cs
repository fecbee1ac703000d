using System.Buffers.Binary;
using MessagePack;

namespace StreamKit.MessagePack;

/// <summary>The timestamp extension (type -1) as milliseconds since the Unix epoch, over the whole <see cref="long"/> range.</summary>
/// <remarks>
/// MessagePack-CSharp reads and writes this extension as a <see cref="DateTime"/>, which ends in year 9999 and would
/// reject instants StreamKit's <see cref="Records.FieldKind.TimestampMillis"/> fields hold; so the data bytes (4, 8 or 12)
/// are converted here, and the extension header goes through the library's reader and writer.
/// </remarks>
internal static class MessagePackTimestamp
{
    /// <summary>The extension type the specification reserves for timestamps.</summary>
    public const sbyte TypeCode = ReservedMessagePackExtensionTypeCode.DateTime;

    /// <summary>Reads the extension's data as milliseconds, truncating sub-millisecond precision toward the past.</summary>
    /// <returns><see langword="false"/> when the length is not 4, 8 or 12, the nanoseconds exceed 999,999,999, or the milliseconds overflow a <see cref="long"/>.</returns>
    public static bool TryReadMillis(ReadOnlySpan<byte> data, out long milliseconds)
    {
        milliseconds = 0;
        long seconds;
        uint nanoseconds;
        switch (data.Length)
        {
            case 4:
                seconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                nanoseconds = 0;
                break;
            case 8:
                var packed = BinaryPrimitives.ReadUInt64BigEndian(data);
                nanoseconds = (uint)(packed >> 34);
                seconds = (long)(packed & 0x3_ffff_ffffUL);
                break;
            case 12:
                nanoseconds = BinaryPrimitives.ReadUInt32BigEndian(data);
                seconds = BinaryPrimitives.ReadInt64BigEndian(data[4..]);
                break;
            default:
                return false;
        }

        if (nanoseconds > 999_999_999)
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
        return true;
    }

    /// <summary>Writes milliseconds as the extension in the smallest of its 32-, 64- and 96-bit forms, as python-msgpack does.</summary>
    public static void Write(ref MessagePackWriter writer, long milliseconds)
    {
        // Floor division: -1 ms is second -1 plus 999,000,000 ns, as the extension keeps nanoseconds non-negative.
        var seconds = Math.DivRem(milliseconds, 1000, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += 1000;
        }

        var nanoseconds = (uint)remainder * 1_000_000;
        var length = (ulong)seconds >> 34 != 0 ? 12 : nanoseconds == 0 && seconds <= uint.MaxValue ? 4 : 8;
        writer.WriteExtensionFormatHeader(new ExtensionHeader(TypeCode, length));
        var data = writer.GetSpan(length);
        switch (length)
        {
            case 4:
                BinaryPrimitives.WriteUInt32BigEndian(data, (uint)seconds);
                break;
            case 8:
                BinaryPrimitives.WriteUInt64BigEndian(data, ((ulong)nanoseconds << 34) | (ulong)seconds);
                break;
            default:
                BinaryPrimitives.WriteUInt32BigEndian(data, nanoseconds);
                BinaryPrimitives.WriteInt64BigEndian(data[4..], seconds);
                break;
        }

        writer.Advance(length);
    }
}
