using System.Buffers;
using System.Buffers.Binary;

namespace StreamKit.Avro.Framing;

/// <summary>How a message names the schema its Avro body was written with.</summary>
public enum AvroFraming
{
    /// <summary>Avro single-object encoding: <c>C3 01</c>, the 8-byte little-endian CRC-64-AVRO fingerprint, then the body.</summary>
    SingleObject,

    /// <summary>The schema-registry (Confluent) wire format: byte <c>0</c>, a 4-byte big-endian schema id, then the body.</summary>
    SchemaRegistry,
}

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

/// <summary>Reads and writes the schema-registry (Confluent) wire format header.</summary>
public static class AvroSchemaRegistryFormat
{
    /// <summary>The header's length: the magic byte and the 4-byte schema id.</summary>
    public const int HeaderLength = 5;

    /// <summary>The magic byte that starts every message.</summary>
    public const byte MagicByte = 0;

    /// <summary>Writes the header for <paramref name="schemaId"/>; append the body after it.</summary>
    /// <param name="output">The output.</param>
    /// <param name="schemaId">The id the registry assigned to the writer schema.</param>
    public static void WriteHeader(IBufferWriter<byte> output, int schemaId)
    {
        ArgumentNullException.ThrowIfNull(output);
        var span = output.GetSpan(HeaderLength);
        span[0] = MagicByte;
        BinaryPrimitives.WriteInt32BigEndian(span[1..], schemaId);
        output.Advance(HeaderLength);
    }

    /// <summary>Splits a registry-framed message into its schema id and body.</summary>
    /// <param name="message">The whole message.</param>
    /// <param name="schemaId">The writer schema's registry id.</param>
    /// <param name="body">The Avro body after the header.</param>
    /// <returns><see langword="false"/> when the message is shorter than the header or the magic byte is not 0.</returns>
    public static bool TryReadHeader(ReadOnlySpan<byte> message, out int schemaId, out ReadOnlySpan<byte> body)
    {
        if (message.Length >= HeaderLength && message[0] == MagicByte)
        {
            schemaId = BinaryPrimitives.ReadInt32BigEndian(message[1..]);
            body = message[HeaderLength..];
            return true;
        }

        schemaId = 0;
        body = default;
        return false;
    }
}
