using System.Text.Json;

namespace StreamKit.Avro.Schema;

/// <summary>Parses schema JSON with <see cref="JsonDocument"/> (setup time only) into <see cref="AvroSchema"/> trees.</summary>
internal static class AvroSchemaParser
{
    // Deeply nested JSON is far more likely an attack than a schema; the limit keeps parsing off the stack's edge.
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 128 };

    public static bool TryParse(string json, out AvroSchema? schema, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(json, s_options);
            return TryParse(document, out schema, out error);
        }
        catch (JsonException ex)
        {
            schema = null;
            error = "Schema is not valid JSON: " + ex.Message;
            return false;
        }
    }

    public static bool TryParse(ReadOnlyMemory<byte> utf8Json, out AvroSchema? schema, out string? error)
    {
        try
        {
            using var document = JsonDocument.Parse(utf8Json, s_options);
            return TryParse(document, out schema, out error);
        }
        catch (JsonException ex)
        {
            schema = null;
            error = "Schema is not valid JSON: " + ex.Message;
            return false;
        }
    }

    private static bool TryParse(JsonDocument document, out AvroSchema? schema, out string? error)
    {
        try
        {
            schema = ParseElement(document.RootElement, null, new Dictionary<string, AvroNamedSchema>(StringComparer.Ordinal));
            error = null;
            return true;
        }
        catch (AvroSchemaException ex)
        {
            schema = null;
            error = ex.Message;
            return false;
        }
        catch (InvalidOperationException ex)
        {
            // JsonElement.GetString throws this for strings that are not valid UTF-8.
            schema = null;
            error = "Schema JSON has an invalid string: " + ex.Message;
            return false;
        }
    }

    public static bool IsValidName(string? name)
    {
        if (string.IsNullOrEmpty(name) || !(char.IsAsciiLetter(name[0]) || name[0] == '_'))
        {
            return false;
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits a possibly dotted name into name and namespace, validating both.</summary>
    public static (string Name, string? Namespace) SplitName(string name, string? ns)
    {
        ArgumentNullException.ThrowIfNull(name);
        var dot = name.LastIndexOf('.');
        if (dot >= 0)
        {
            ns = name[..dot];
            name = name[(dot + 1)..];
        }

        if (!IsValidName(name))
        {
            throw new AvroSchemaException($"'{name}' is not a valid Avro name.");
        }

        if (!string.IsNullOrEmpty(ns))
        {
            foreach (var part in ns.Split('.'))
            {
                if (!IsValidName(part))
                {
                    throw new AvroSchemaException($"'{ns}' is not a valid Avro namespace.");
                }
            }
        }

        return (name, string.IsNullOrEmpty(ns) ? null : ns);
    }

    private static AvroSchema ParseElement(JsonElement element, string? enclosingNamespace, Dictionary<string, AvroNamedSchema> names)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return ParseTypeName(element.GetString()!, enclosingNamespace, names);
            case JsonValueKind.Array:
                var branches = new List<AvroSchema>(element.GetArrayLength());
                foreach (var item in element.EnumerateArray())
                {
                    branches.Add(ParseElement(item, enclosingNamespace, names));
                }

                return new AvroUnionSchema(branches);
            case JsonValueKind.Object:
                return ParseObject(element, enclosingNamespace, names);
            default:
                throw new AvroSchemaException($"A schema must be a string, object or array, not {element.ValueKind}.");
        }
    }

    private static AvroSchema ParseTypeName(string name, string? enclosingNamespace, Dictionary<string, AvroNamedSchema> names)
    {
        if (TryPrimitive(name, out var primitive))
        {
            return AvroPrimitiveSchema.Get(primitive);
        }

        // A dotted name is a full name; otherwise the enclosing namespace applies, falling back to the null namespace
        // as the Java implementation does.
        if (!name.Contains('.') && enclosingNamespace is not null && names.TryGetValue(enclosingNamespace + "." + name, out var qualified))
        {
            return qualified;
        }

        return names.TryGetValue(name, out var named)
            ? named
            : throw new AvroSchemaException($"Unknown type '{name}': not a primitive and not a previously defined named type.");
    }

    private static bool TryPrimitive(string name, out AvroType type)
    {
        type = name switch
        {
            "null" => AvroType.Null,
            "boolean" => AvroType.Boolean,
            "int" => AvroType.Int,
            "long" => AvroType.Long,
            "float" => AvroType.Float,
            "double" => AvroType.Double,
            "bytes" => AvroType.Bytes,
            "string" => AvroType.String,
            _ => AvroType.Record,
        };
        return type != AvroType.Record;
    }

    private static AvroSchema ParseObject(JsonElement element, string? enclosingNamespace, Dictionary<string, AvroNamedSchema> names)
    {
        if (!element.TryGetProperty("type", out var typeElement))
        {
            throw new AvroSchemaException("A schema object needs a 'type' attribute.");
        }

        if (typeElement.ValueKind != JsonValueKind.String)
        {
            // {"type": {...}} and {"type": [...]} wrap another schema; accept them as the Java parser does.
            return ParseElement(typeElement, enclosingNamespace, names);
        }

        var type = typeElement.GetString()!;
        var logicalType = GetOptionalString(element, "logicalType");
        if (TryPrimitive(type, out var primitive))
        {
            return logicalType is null ? AvroPrimitiveSchema.Get(primitive) : new AvroPrimitiveSchema(primitive, logicalType);
        }

        switch (type)
        {
            case "record":
            case "error":
                return ParseRecord(element, enclosingNamespace, names);
            case "enum":
            {
                var name = ParseName(element, enclosingNamespace);
                if (!element.TryGetProperty("symbols", out var symbolsElement) || symbolsElement.ValueKind != JsonValueKind.Array)
                {
                    throw new AvroSchemaException($"Enum '{name.Name}' needs a 'symbols' array.");
                }

                var symbols = new List<string>();
                foreach (var symbol in symbolsElement.EnumerateArray())
                {
                    symbols.Add(symbol.ValueKind == JsonValueKind.String
                        ? symbol.GetString()!
                        : throw new AvroSchemaException($"Enum '{name.Name}' symbols must be strings."));
                }

                var enumSchema = new AvroEnumSchema(name, symbols, GetOptionalString(element, "default"), GetAliases(element, name.Namespace), GetOptionalString(element, "doc"));
                Register(enumSchema, names);
                return enumSchema;
            }

            case "fixed":
            {
                var name = ParseName(element, enclosingNamespace);
                if (!element.TryGetProperty("size", out var sizeElement) || !sizeElement.TryGetInt32(out var size))
                {
                    throw new AvroSchemaException($"Fixed '{name.Name}' needs an integer 'size'.");
                }

                var fixedSchema = new AvroFixedSchema(name, size, logicalType, GetAliases(element, name.Namespace), GetOptionalString(element, "doc"));
                Register(fixedSchema, names);
                return fixedSchema;
            }

            case "array":
                return element.TryGetProperty("items", out var items)
                    ? new AvroArraySchema(ParseElement(items, enclosingNamespace, names))
                    : throw new AvroSchemaException("An array schema needs 'items'.");
            case "map":
                return element.TryGetProperty("values", out var values)
                    ? new AvroMapSchema(ParseElement(values, enclosingNamespace, names))
                    : throw new AvroSchemaException("A map schema needs 'values'.");
            default:
                return ParseTypeName(type, enclosingNamespace, names);
        }
    }

    private static AvroRecordSchema ParseRecord(JsonElement element, string? enclosingNamespace, Dictionary<string, AvroNamedSchema> names)
    {
        var name = ParseName(element, enclosingNamespace);
        if (!element.TryGetProperty("fields", out var fieldsElement) || fieldsElement.ValueKind != JsonValueKind.Array)
        {
            throw new AvroSchemaException($"Record '{name.Name}' needs a 'fields' array.");
        }

        var record = new AvroRecordSchema(name, GetAliases(element, name.Namespace), GetOptionalString(element, "doc"));

        // Registered before its fields are parsed so a field can refer to the record itself (linked lists, trees).
        Register(record, names);
        var fields = new AvroField[fieldsElement.GetArrayLength()];
        var i = 0;
        foreach (var fieldElement in fieldsElement.EnumerateArray())
        {
            if (fieldElement.ValueKind != JsonValueKind.Object)
            {
                throw new AvroSchemaException($"Record '{record.FullName}' fields must be objects.");
            }

            var fieldName = GetOptionalString(fieldElement, "name")
                ?? throw new AvroSchemaException($"A field of record '{record.FullName}' has no 'name'.");
            if (!fieldElement.TryGetProperty("type", out var fieldType))
            {
                throw new AvroSchemaException($"Field '{record.FullName}.{fieldName}' has no 'type'.");
            }

            var fieldSchema = ParseElement(fieldType, record.Namespace, names);
            string? defaultJson = fieldElement.TryGetProperty("default", out var defaultElement) ? defaultElement.GetRawText() : null;
            var aliases = GetStringArray(fieldElement, "aliases");
            fields[i++] = new AvroField(fieldName, fieldSchema, defaultJson, aliases, GetOptionalString(fieldElement, "doc"));
        }

        record.SetFields(fields);
        return record;
    }

    private static (string Name, string? Namespace) ParseName(JsonElement element, string? enclosingNamespace)
    {
        var name = GetOptionalString(element, "name") ?? throw new AvroSchemaException("A named schema needs a 'name'.");
        var ns = element.TryGetProperty("namespace", out var nsElement) && nsElement.ValueKind == JsonValueKind.String
            ? nsElement.GetString()
            : enclosingNamespace;
        return SplitName(name, ns);
    }

    private static void Register(AvroNamedSchema schema, Dictionary<string, AvroNamedSchema> names)
    {
        if (TryPrimitive(schema.FullName, out _))
        {
            throw new AvroSchemaException($"'{schema.FullName}' is a primitive type name and cannot be redefined.");
        }

        if (!names.TryAdd(schema.FullName, schema))
        {
            throw new AvroSchemaException($"Type '{schema.FullName}' is defined twice.");
        }
    }

    private static IReadOnlyList<string>? GetAliases(JsonElement element, string? ns)
    {
        var aliases = GetStringArray(element, "aliases");
        if (aliases is null)
        {
            return null;
        }

        var full = new string[aliases.Length];
        for (var i = 0; i < aliases.Length; i++)
        {
            var split = SplitName(aliases[i], ns);
            full[i] = split.Namespace is null ? split.Name : split.Namespace + "." + split.Name;
        }

        return full;
    }

    private static string[]? GetStringArray(JsonElement element, string property)
    {
        if (!element.TryGetProperty(property, out var array))
        {
            return null;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new AvroSchemaException($"'{property}' must be an array of strings.");
        }

        var result = new string[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            result[i++] = item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw new AvroSchemaException($"'{property}' must be an array of strings.");
        }

        return result;
    }

    private static string? GetOptionalString(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
