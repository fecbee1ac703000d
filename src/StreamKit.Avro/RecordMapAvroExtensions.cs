using System.Text;
using System.Text.Json;
using Avro;
using StreamKit.Records;

namespace StreamKit.Avro;

/// <summary>Derives Avro schemas from <see cref="RecordMap{T}"/>s.</summary>
public static class RecordMapAvroExtensions
{
    private static readonly Schema s_int = Schema.Parse("\"int\"");
    private static readonly Schema s_long = Schema.Parse("\"long\"");
    private static readonly Schema s_double = Schema.Parse("\"double\"");
    private static readonly Schema s_boolean = Schema.Parse("\"boolean\"");
    private static readonly Schema s_string = Schema.Parse("\"string\"");
    private static readonly Schema s_timestampMillis = Schema.Parse("""{"type":"long","logicalType":"timestamp-millis"}""");

    /// <summary>Derives the record schema a <see cref="RecordMap{T}"/> reads and writes, as an Apache.Avro <see cref="RecordSchema"/>.</summary>
    /// <remarks>
    /// Int32 becomes <c>int</c>, Int64 <c>long</c>, Double <c>double</c>, Boolean <c>boolean</c>, String <c>string</c>
    /// and TimestampMillis <c>{"type":"long","logicalType":"timestamp-millis"}</c>, in map order. Optional map fields
    /// stay plain types (the encoder always has a value), so the schema declares no defaults. The schema is built as
    /// JSON and parsed by <see cref="Schema.Parse(string)"/>, so Apache.Avro checks the names.
    /// </remarks>
    /// <typeparam name="T">The record struct.</typeparam>
    /// <param name="map">The record map.</param>
    /// <param name="name">The record's name, or a full name with dots.</param>
    /// <param name="ns">The namespace when <paramref name="name"/> has no dots, or <see langword="null"/>.</param>
    /// <returns>The record schema.</returns>
    /// <exception cref="SchemaParseException">A name is not a valid Avro name.</exception>
    public static RecordSchema ToAvroSchema<T>(this RecordMap<T> map, string name, string? ns = null)
        where T : struct
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(name);
        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "record");
            writer.WriteString("name", name);
            if (!string.IsNullOrEmpty(ns))
            {
                writer.WriteString("namespace", ns);
            }

            writer.WriteStartArray("fields");
            foreach (var field in map.Fields)
            {
                writer.WriteStartObject();
                writer.WriteString("name", field.Name);
                writer.WritePropertyName("type");
                writer.WriteRawValue(SchemaOf(field.Kind).ToString());
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return (RecordSchema)Schema.Parse(Encoding.UTF8.GetString(json.GetBuffer(), 0, (int)json.Length));
    }

    /// <summary>The Avro schema of a field kind.</summary>
    /// <param name="kind">The field kind.</param>
    /// <returns>A shared schema: a primitive, or a <see cref="LogicalSchema"/> over <c>long</c> for TimestampMillis.</returns>
    public static Schema SchemaOf(FieldKind kind) => kind switch
    {
        FieldKind.Int32 => s_int,
        FieldKind.Int64 => s_long,
        FieldKind.Double => s_double,
        FieldKind.Boolean => s_boolean,
        FieldKind.String => s_string,
        FieldKind.TimestampMillis => s_timestampMillis,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown field kind."),
    };
}
