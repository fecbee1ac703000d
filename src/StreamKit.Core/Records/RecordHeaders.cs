using System.Buffers.Binary;

namespace StreamKit.Records;

/// <summary>
/// A record's headers (Kafka headers, message attributes) as name/value byte pairs, read in place from a batch's
/// buffer: no allocation to look one up or to walk them all.
/// </summary>
/// <remarks>
/// <para>Names may repeat, as in Kafka; <see cref="TryGetLast"/> gives the last value of a name, which is what Kafka
/// clients mean by "the" header. A value may be null (distinct from empty), as Kafka allows.</para>
/// <para>The encoding, for sources that stage headers themselves (<see cref="Encode"/>): per header, the name's length
/// (16-bit little-endian), the name's bytes, the value's length (32-bit little-endian, -1 for null), the value's bytes.</para>
/// </remarks>
public readonly ref struct RecordHeaders
{
    private const int NameLengthBytes = 2;
    private const int ValueLengthBytes = 4;
    private readonly ReadOnlySpan<byte> _encoded;

    /// <summary>Reads headers in the encoding described on the type.</summary>
    public RecordHeaders(ReadOnlySpan<byte> encoded) => _encoded = encoded;

    /// <summary>Whether there are no headers.</summary>
    public bool IsEmpty => _encoded.IsEmpty;

    /// <summary>The encoded bytes, to copy headers on unchanged.</summary>
    public ReadOnlySpan<byte> Encoded => _encoded;

    /// <summary>The bytes one header takes in the encoding.</summary>
    public static int EncodedLength(int nameLength, int valueLength) => NameLengthBytes + nameLength + ValueLengthBytes + valueLength;

    /// <summary>Writes one header to <paramref name="destination"/>, which must hold <see cref="EncodedLength"/> bytes.</summary>
    /// <param name="destination">Where the header goes.</param>
    /// <param name="name">Its name (UTF-8); at most 65,535 bytes.</param>
    /// <param name="value">Its value.</param>
    /// <param name="isNull">A null value (Kafka distinguishes it from an empty one); <paramref name="value"/> is then ignored.</param>
    /// <returns>The bytes written.</returns>
    public static int Encode(Span<byte> destination, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value, bool isNull = false)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(name.Length, ushort.MaxValue, nameof(name));
        if (isNull)
        {
            value = default;
        }

        BinaryPrimitives.WriteUInt16LittleEndian(destination, (ushort)name.Length);
        name.CopyTo(destination[NameLengthBytes..]);
        var at = NameLengthBytes + name.Length;
        BinaryPrimitives.WriteInt32LittleEndian(destination[at..], isNull ? -1 : value.Length);
        value.CopyTo(destination[(at + ValueLengthBytes)..]);
        return at + ValueLengthBytes + value.Length;
    }

    /// <summary>Finds the last header named <paramref name="name"/>.</summary>
    /// <returns><see langword="false"/> when there is none; a null value is found, with an empty <paramref name="value"/>.</returns>
    public bool TryGetLast(ReadOnlySpan<byte> name, out ReadOnlySpan<byte> value)
    {
        var found = false;
        value = default;
        foreach (var header in this)
        {
            if (header.Name.SequenceEqual(name))
            {
                value = header.Value;
                found = true;
            }
        }

        return found;
    }

    /// <summary>Walks the headers in order.</summary>
    public Enumerator GetEnumerator() => new(_encoded);

    /// <summary>Walks encoded headers.</summary>
    public ref struct Enumerator
    {
        private ReadOnlySpan<byte> _rest;

        internal Enumerator(ReadOnlySpan<byte> encoded)
        {
            _rest = encoded;
            Current = default;
        }

        /// <summary>The header the enumerator is on.</summary>
        public RecordHeader Current { get; private set; }

        /// <summary>Moves to the next header.</summary>
        /// <exception cref="InvalidDataException">The encoding is cut short.</exception>
        public bool MoveNext()
        {
            if (_rest.IsEmpty)
            {
                return false;
            }

            if (_rest.Length < NameLengthBytes)
            {
                throw Truncated();
            }

            var nameLength = BinaryPrimitives.ReadUInt16LittleEndian(_rest);
            var at = NameLengthBytes + nameLength;
            if (_rest.Length < at + ValueLengthBytes)
            {
                throw Truncated();
            }

            var valueLength = BinaryPrimitives.ReadInt32LittleEndian(_rest[at..]);
            var length = Math.Max(valueLength, 0);
            if (_rest.Length < at + ValueLengthBytes + length)
            {
                throw Truncated();
            }

            Current = new RecordHeader(_rest.Slice(NameLengthBytes, nameLength), _rest.Slice(at + ValueLengthBytes, length), valueLength < 0);
            _rest = _rest[(at + ValueLengthBytes + length)..];
            return true;
        }

        private static InvalidDataException Truncated() => new("Encoded record headers are cut short.");
    }
}
