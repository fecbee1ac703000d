using System.Buffers;
using System.Buffers.Binary;

namespace StreamKit.Avro.Framing;

/// <summary>Reads and writes the single-object encoding header.</summary>
public static class AvroSingleObject
{
    /// <summary>The header's length: two marker bytes and the 8-byte fingerprint.</summary>
    public const int HeaderLength = 10;

    /// <summary>The first marker byte.</summary>
    public const byte Marker0 = 0xC3;

    /// <summary>The second marker byte (the format version).</summary>
    public const byte Marker1 = 0x01;

    /// <summary>Writes the header for a schema with <paramref name="fingerprint"/>; append the body after it.</summary>
    /// <param name="output">The output.</param>
    /// <param name="fingerprint">The writer schema's CRC-64-AVRO fingerprint (Apache.Avro's <c>SchemaNormalization.ParsingFingerprint64</c>, as unsigned).</param>
    public static void WriteHeader(IBufferWriter<byte> output, ulong fingerprint)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(HeaderLength);
        span[0] = Marker0;
        span[1] = Marker1;
        BinaryPrimitives.WriteUInt64LittleEndian(span[2..], fingerprint);
        output.Advance(HeaderLength);
    }

    /// <summary>Splits a single-object message into its fingerprint and body.</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="fingerprint">The writer schema's fingerprint.</param>
    /// <param name="body">The Avro body after the header.</param>
    /// <returns><see langword="false"/> when the message is shorter than the header or lacks the marker.</returns>
    public static bool TryReadHeader(ReadOnlySpan<byte> message, out ulong fingerprint, out ReadOnlySpan<byte> body)
    {
        if (message.Length >= HeaderLength && message[0] == Marker0 && message[1] == Marker1)
        {
            fingerprint = BinaryPrimitives.ReadUInt64LittleEndian(message[2..]);
            body = message[HeaderLength..];
            return true;
        }

        fingerprint = 0;
        body = default;
        return false;
    }
}
