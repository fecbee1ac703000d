using System.Buffers;
using System.Text;
using System.Text.Json;

namespace StreamKit.Avro.Schema;

/// <summary>Writes schemas as canonical form (for fingerprints) or full JSON (for container headers).</summary>
internal static class AvroSchemaWriter
{
    public static void WriteCanonical(AvroSchema schema, StringBuilder output, HashSet<string> written)
    {
        // Names and symbols are restricted to [A-Za-z0-9_.], so no JSON escaping is ever needed here.
        switch (schema)
        {
            case AvroPrimitiveSchema:
                output.Append('"').Append(AvroPrimitiveSchema.NameOf(schema.Type)).Append('"');
                return;
            case AvroNamedSchema named when !written.Add(named.FullName):
                output.Append('"').Append(named.FullName).Append('"');
                return;
            case AvroRecordSchema record:
                output.Append("{\"name\":\"").Append(record.FullName).Append("\",\"type\":\"record\",\"fields\":[");
                for (var i = 0; i < record.Fields.Count; i++)
                {
                    output.Append(i == 0 ? "" : ",").Append("{\"name\":\"").Append(record.Fields[i].Name).Append("\",\"type\":");
                    WriteCanonical(record.Fields[i].Schema, output, written);
                    output.Append('}');
                }

                output.Append("]}");
                return;
            case AvroEnumSchema enumSchema:
                output.Append("{\"name\":\"").Append(enumSchema.FullName).Append("\",\"type\":\"enum\",\"symbols\":[");
                for (var i = 0; i < enumSchema.Symbols.Count; i++)
                {
                    output.Append(i == 0 ? "\"" : ",\"").Append(enumSchema.Symbols[i]).Append('"');
                }

                output.Append("]}");
                return;
            case AvroFixedSchema fixedSchema:
                output.Append("{\"name\":\"").Append(fixedSchema.FullName).Append("\",\"type\":\"fixed\",\"size\":")
                    .Append(fixedSchema.Size.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append('}');
                return;
            case AvroArraySchema array:
                output.Append("{\"type\":\"array\",\"items\":");
                WriteCanonical(array.Items, output, written);
                output.Append('}');
                return;
            case AvroMapSchema map:
                output.Append("{\"type\":\"map\",\"values\":");
                WriteCanonical(map.Values, output, written);
                output.Append('}');
                return;
            case AvroUnionSchema union:
                output.Append('[');
                for (var i = 0; i < union.Branches.Count; i++)
                {
                    if (i > 0)
                    {
                        output.Append(',');
                    }

                    WriteCanonical(union.Branches[i], output, written);
                }

                output.Append(']');
                return;
        }
    }

    public static string WriteJson(AvroSchema schema)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            Write(schema, writer, new HashSet<string>(StringComparer.Ordinal), null);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void Write(AvroSchema schema, Utf8JsonWriter writer, HashSet<string> written, string? enclosingNamespace)
    {
        switch (schema)
        {
            case AvroPrimitiveSchema when schema.LogicalType is null:
                writer.WriteStringValue(AvroPrimitiveSchema.NameOf(schema.Type));
                return;
            case AvroPrimitiveSchema:
                writer.WriteStartObject();
                writer.WriteString("type", AvroPrimitiveSchema.NameOf(schema.Type));
                writer.WriteString("logicalType", schema.LogicalType);
                writer.WriteEndObject();
                return;
            case AvroNamedSchema named when !written.Add(named.FullName):
                writer.WriteStringValue(named.FullName);
                return;
            case AvroRecordSchema record:
                writer.WriteStartObject();
                writer.WriteString("type", "record");
                WriteNamed(record, writer, enclosingNamespace);
                writer.WriteStartArray("fields");
                foreach (var field in record.Fields)
                {
                    writer.WriteStartObject();
                    writer.WriteString("name", field.Name);
                    writer.WritePropertyName("type");
                    Write(field.Schema, writer, written, record.Namespace);
                    if (field.DefaultJson is not null)
                    {
                        writer.WritePropertyName("default");
                        writer.WriteRawValue(field.DefaultJson);
                    }

                    WriteStrings(writer, "aliases", field.Aliases);
                    if (field.Doc is not null)
                    {
                        writer.WriteString("doc", field.Doc);
                    }

                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
                writer.WriteEndObject();
                return;
            case AvroEnumSchema enumSchema:
                writer.WriteStartObject();
                writer.WriteString("type", "enum");
                WriteNamed(enumSchema, writer, enclosingNamespace);
                writer.WriteStartArray("symbols");
                foreach (var symbol in enumSchema.Symbols)
                {
                    writer.WriteStringValue(symbol);
                }

                writer.WriteEndArray();
                if (enumSchema.Default is not null)
                {
                    writer.WriteString("default", enumSchema.Default);
                }

                writer.WriteEndObject();
                return;
            case AvroFixedSchema fixedSchema:
                writer.WriteStartObject();
                writer.WriteString("type", "fixed");
                WriteNamed(fixedSchema, writer, enclosingNamespace);
                writer.WriteNumber("size", fixedSchema.Size);
                if (fixedSchema.LogicalType is not null)
                {
                    writer.WriteString("logicalType", fixedSchema.LogicalType);
                }

                writer.WriteEndObject();
                return;
            case AvroArraySchema array:
                writer.WriteStartObject();
                writer.WriteString("type", "array");
                writer.WritePropertyName("items");
                Write(array.Items, writer, written, enclosingNamespace);
                writer.WriteEndObject();
                return;
            case AvroMapSchema map:
                writer.WriteStartObject();
                writer.WriteString("type", "map");
                writer.WritePropertyName("values");
                Write(map.Values, writer, written, enclosingNamespace);
                writer.WriteEndObject();
                return;
            case AvroUnionSchema union:
                writer.WriteStartArray();
                foreach (var branch in union.Branches)
                {
                    Write(branch, writer, written, enclosingNamespace);
                }

                writer.WriteEndArray();
                return;
        }
    }

    private static void WriteNamed(AvroNamedSchema named, Utf8JsonWriter writer, string? enclosingNamespace)
    {
        writer.WriteString("name", named.Name);

        // A nested type inherits the enclosing namespace unless it says otherwise; "" names the null namespace.
        if (named.Namespace != enclosingNamespace)
        {
            writer.WriteString("namespace", named.Namespace ?? "");
        }

        WriteStrings(writer, "aliases", named.Aliases);
        if (named.Doc is not null)
        {
            writer.WriteString("doc", named.Doc);
        }
    }

    private static void WriteStrings(Utf8JsonWriter writer, string property, IReadOnlyList<string> values)
    {
        if (values.Count == 0)
        {
            return;
        }

        writer.WriteStartArray(property);
        foreach (var value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }
}
