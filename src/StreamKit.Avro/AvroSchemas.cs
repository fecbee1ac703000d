using System.Text;
using Avro;

namespace StreamKit.Avro;

/// <summary>StreamKit's few uses of Apache.Avro's schema objects, in one place.</summary>
internal static class AvroSchemas
{
    /// <summary>The CRC-64-AVRO fingerprint of the schema's Parsing Canonical Form, as the single-object encoding carries it.</summary>
    /// <remarks>Computes the canonical form each time: callers fingerprint a schema once, at setup, and keep the result.</remarks>
    public static ulong Fingerprint(Schema schema) => unchecked((ulong)SchemaNormalization.ParsingFingerprint64(schema));

    /// <summary>The schema that decides the encoding: the base schema of a logical type, otherwise the schema itself.</summary>
    public static Schema Encoding(Schema schema) => schema is LogicalSchema logical ? logical.BaseSchema : schema;

    /// <summary>Parses schema JSON from an untrusted source (a file header), reporting failure instead of throwing.</summary>
    public static bool TryParse(ReadOnlySpan<byte> utf8Json, out Schema? schema, out string? error)
    {
        string json;
        try
        {
            json = new UTF8Encoding(false, true).GetString(utf8Json);
        }
        catch (DecoderFallbackException)
        {
            schema = null;
            error = "the schema is not valid UTF-8.";
            return false;
        }

        try
        {
            schema = Schema.Parse(json);
            if (schema is null)
            {
                // Apache.Avro 1.12 returns null, not an exception, for an object whose "type" names no type it knows
                // ({"type":"recosd"}): a one-byte corruption of a file header can do exactly that.
                error = "the schema's \"type\" names no Avro type.";
                return false;
            }

            error = null;
            return true;
        }
        catch (Exception ex) when (ex is AvroException or Newtonsoft.Json.JsonException or ArgumentException or InvalidCastException or FormatException)
        {
            // Apache.Avro reports a malformed schema as AvroException (SchemaParseException), malformed JSON through
            // Newtonsoft's JsonException, and some wrongly shaped JSON (a number where an object belongs) as the others.
            schema = null;
            error = ex.Message;
            return false;
        }
    }
}
