using System.Buffers;
using System.Buffers.Binary;

namespace StreamKit.Avro.Framing;

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
