using System.Text;
using Avro;
using Avro.Generic;
using Avro.IO;
using Avro.Specific;
using Clickstream;
using StreamKit.Benchmarks.Data;

namespace StreamKit.Benchmarks.Variants;

/// <summary>
/// Apache.Avro's own readers over the same Avro bodies as StreamKit's decoder: a <see cref="GenericDatumReader{T}"/>
/// of <see cref="GenericRecord"/> and a <see cref="SpecificDatumReader{T}"/> of an avrogen-style
/// <see cref="ClickRecord"/>, each reusing one record, as Apache.Avro's documentation recommends for speed.
/// </summary>
/// <remarks>
/// Apache.Avro decodes from a <see cref="Stream"/>, not a span, so each reader walks one <see cref="MemoryStream"/>
/// over <see cref="EncodedClicks.Bytes"/> in record order; the payload a <see cref="IClickDecoder"/> receives only
/// says how long the record is, and a record that does not end exactly there is rejected. Callers must decode the
/// records in order from the first after <see cref="Rewind"/>. The record is then copied into a
/// <see cref="ClickEvent"/> (strings interned from their UTF-8 bytes) so the checksum is the other decoders'.
/// </remarks>
public sealed class ApacheAvroDecoders
{
    private readonly MemoryStream _stream;
    private readonly BinaryDecoder _decoder;
    private readonly GenericDatumReader<GenericRecord> _generic;
    private readonly SpecificDatumReader<ClickRecord> _specific;
    private GenericRecord? _genericRecord;
    private readonly ClickRecord _specificRecord = new();

    /// <summary>Creates both readers for <see cref="EncodedClicks.Avro"/>, written with <see cref="EncodedClicks.AvroSchema"/>.</summary>
    public ApacheAvroDecoders()
    {
        _stream = new MemoryStream(EncodedClicks.Avro.Bytes, writable: false);
        _decoder = new BinaryDecoder(_stream);
        _generic = new GenericDatumReader<GenericRecord>(EncodedClicks.AvroSchema, EncodedClicks.AvroSchema);
        _specific = new SpecificDatumReader<ClickRecord>(EncodedClicks.AvroSchema, ClickRecord.ClassSchema);
    }

    /// <summary>Goes back to the first record.</summary>
    public void Rewind() => _stream.Position = 0;

    /// <summary>The generic reader as an <see cref="IClickDecoder"/>.</summary>
    public Generic AsGeneric() => new(this);

    /// <summary>The specific reader as an <see cref="IClickDecoder"/>.</summary>
    public Specific AsSpecific() => new(this);

    private bool TryGeneric(int length, ref ClickEvent e)
    {
        var end = _stream.Position + length;
        var r = _genericRecord = _generic.Read(_genericRecord!, _decoder);
        e.Ts = ToMillis(r.GetValue(0));
        e.UserId = (int)r.GetValue(1);
        e.PageId = (int)r.GetValue(2);
        e.DurationMs = (int)r.GetValue(4);
        return TryStrings((string)r.GetValue(3), (string)r.GetValue(5), ref e) && _stream.Position == end;
    }

    private bool TrySpecific(int length, ref ClickEvent e)
    {
        var end = _stream.Position + length;
        var r = _specific.Read(_specificRecord, _decoder);
        e.Ts = ToMillis(r.Ts);
        e.UserId = r.UserId;
        e.PageId = r.PageId;
        e.DurationMs = r.DurationMs;
        return TryStrings(r.EventType, r.Country, ref e) && _stream.Position == end;
    }

    // Apache.Avro turns timestamp-millis into a DateTime (UTC); the suite's events carry epoch milliseconds.
    private static long ToMillis(object value) => ToMillis((DateTime)value);

    private static long ToMillis(DateTime value) => (value.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    private static bool TryStrings(string eventType, string country, ref ClickEvent e)
    {
        Span<byte> utf8 = stackalloc byte[32];
        return Encoding.UTF8.TryGetBytes(eventType, utf8, out var n) && ClickEvents.TryParse(utf8[..n], out e.EventType)
            && Encoding.UTF8.TryGetBytes(country, utf8, out n) && n == 2 && ClickEvents.Countries.TryGetOrAdd(utf8[..n], out e.Country);
    }

    /// <summary>Decodes with <see cref="GenericDatumReader{T}"/>, reusing one <see cref="GenericRecord"/>.</summary>
    public readonly struct Generic(ApacheAvroDecoders owner) : IClickDecoder
    {
        /// <inheritdoc />
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e) => owner.TryGeneric(payload.Length, ref e);
    }

    /// <summary>Decodes with <see cref="SpecificDatumReader{T}"/>, reusing one <see cref="ClickRecord"/>.</summary>
    public readonly struct Specific(ApacheAvroDecoders owner) : IClickDecoder
    {
        /// <inheritdoc />
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e) => owner.TrySpecific(payload.Length, ref e);
    }
}

/// <summary>The suite's Avro record as avrogen generates it for <see cref="EncodedClicks.AvroSchema"/>: properties, <see cref="Get"/> and <see cref="Put"/> by field position.</summary>
public sealed class ClickRecord : ISpecificRecord
{
    /// <summary>The schema (the writer's: same fields, same order).</summary>
    public static Schema ClassSchema => EncodedClicks.AvroSchema;

    /// <inheritdoc />
    public Schema Schema => ClassSchema;

    /// <summary>Event time (timestamp-millis, which Apache.Avro maps to <see cref="DateTime"/>).</summary>
    public DateTime Ts { get; set; }

    /// <summary>The visitor.</summary>
    public int UserId { get; set; }

    /// <summary>The page.</summary>
    public int PageId { get; set; }

    /// <summary>What happened.</summary>
    public string EventType { get; set; } = "";

    /// <summary>Time spent, milliseconds.</summary>
    public int DurationMs { get; set; }

    /// <summary>The two-letter country.</summary>
    public string Country { get; set; } = "";

    /// <inheritdoc />
    public object Get(int fieldPos) => fieldPos switch
    {
        0 => Ts,
        1 => UserId,
        2 => PageId,
        3 => EventType,
        4 => DurationMs,
        5 => Country,
        _ => throw new AvroRuntimeException($"Bad index {fieldPos} in Get()"),
    };

    /// <inheritdoc />
    public void Put(int fieldPos, object fieldValue)
    {
        switch (fieldPos)
        {
            case 0: Ts = (DateTime)fieldValue; break;
            case 1: UserId = (int)fieldValue; break;
            case 2: PageId = (int)fieldValue; break;
            case 3: EventType = (string)fieldValue; break;
            case 4: DurationMs = (int)fieldValue; break;
            case 5: Country = (string)fieldValue; break;
            default: throw new AvroRuntimeException($"Bad index {fieldPos} in Put()");
        }
    }
}
