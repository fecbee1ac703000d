using StreamKit.Records;

namespace StreamKit.Avro.Schema;

/// <summary>Derives Avro schemas from <see cref="RecordMap{T}"/>s.</summary>
public static class RecordMapAvroExtensions
{
    /// <summary>Derives the record schema a <see cref="RecordMap{T}"/> reads and writes.</summary>
    /// <remarks>
    /// Int32 becomes <c>int</c>, Int64 <c>long</c>, Double <c>double</c>, Boolean <c>boolean</c>, String <c>string</c>
    /// and TimestampMillis <c>{"type":"long","logicalType":"timestamp-millis"}</c>, in map order. Optional map fields
    /// stay plain types (the encoder always has a value), so the schema declares no defaults.
    /// </remarks>
    /// <typeparam name="T">The record struct.</typeparam>
    /// <param name="map">The record map.</param>
    /// <param name="name">The record's name, or a full name with dots.</param>
    /// <param name="ns">The namespace when <paramref name="name"/> has no dots, or <see langword="null"/>.</param>
    /// <returns>The record schema.</returns>
    public static AvroRecordSchema ToAvroSchema<T>(this RecordMap<T> map, string name, string? ns = null)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(map);
        var fields = new AvroField[map.Fields.Count];
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i] = new AvroField(map.Fields[i].Name, SchemaOf(map.Fields[i].Kind));
        }

        return new AvroRecordSchema(name, ns, fields);
    }

    /// <summary>The Avro schema of a field kind.</summary>
    /// <param name="kind">The field kind.</param>
    /// <returns>A shared primitive schema.</returns>
    public static AvroPrimitiveSchema SchemaOf(FieldKind kind) => kind switch
    {
        FieldKind.Int32 => AvroPrimitiveSchema.Get(AvroType.Int),
        FieldKind.Int64 => AvroPrimitiveSchema.Get(AvroType.Long),
        FieldKind.Double => AvroPrimitiveSchema.Get(AvroType.Double),
        FieldKind.Boolean => AvroPrimitiveSchema.Get(AvroType.Boolean),
        FieldKind.String => AvroPrimitiveSchema.Get(AvroType.String),
        FieldKind.TimestampMillis => AvroPrimitiveSchema.TimestampMillis,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown field kind."),
    };
}
