using System.Text;

namespace StreamKit.Avro.Schema;

/// <summary>The CRC-64-AVRO (Rabin) fingerprint the Avro specification defines over a schema's Parsing Canonical Form.</summary>
/// <remarks>
/// Single-object encoding puts this fingerprint, little-endian, in front of every message; two schemas with the same
/// canonical form share a fingerprint however their JSON was spelled.
/// </remarks>
public static class AvroFingerprint
{
    /// <summary>The fingerprint of the empty input, and the polynomial the table is built from.</summary>
    public const ulong Empty = 0xc15d213aa4d7a795UL;

    private static readonly ulong[] s_table = BuildTable();

    /// <summary>Computes CRC-64-AVRO over <paramref name="data"/>.</summary>
    /// <param name="data">Usually the UTF-8 bytes of a schema's canonical form.</param>
    /// <returns>The 64-bit fingerprint.</returns>
    public static ulong Crc64(ReadOnlySpan<byte> data)
    {
        var fp = Empty;
        var table = s_table;
        foreach (var b in data)
        {
            fp = (fp >> 8) ^ table[(int)(fp ^ b) & 0xff];
        }

        return fp;
    }

    /// <summary>Computes CRC-64-AVRO over the UTF-8 encoding of <paramref name="text"/>.</summary>
    /// <param name="text">Usually a schema's canonical form.</param>
    /// <returns>The 64-bit fingerprint.</returns>
    public static ulong Crc64(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Crc64(Encoding.UTF8.GetBytes(text));
    }

    private static ulong[] BuildTable()
    {
        var table = new ulong[256];
        for (var i = 0; i < 256; i++)
        {
            var fp = (ulong)i;
            for (var j = 0; j < 8; j++)
            {
                fp = (fp >> 1) ^ (Empty & (0UL - (fp & 1UL)));
            }

            table[i] = fp;
        }

        return table;
    }
}
