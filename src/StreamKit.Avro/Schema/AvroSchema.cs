using System.Text;

namespace StreamKit.Avro.Schema;

/// <summary>A parsed Avro schema: the root of an immutable tree (a graph, when named types refer to themselves).</summary>
/// <remarks>
/// Parse once at setup with <see cref="Parse"/> and share: instances are immutable after parsing and safe to read
/// from many threads. Decoders never walk this tree per record for the fields they store; they compile it into a
/// <see cref="Resolution.ResolutionProgram{T}"/>.
/// </remarks>
public abstract class AvroSchema
{
    private string? _canonicalForm;
    private ulong _fingerprint;
    private bool _hasFingerprint;

    private protected AvroSchema(AvroType type, string? logicalType)
    {
        Type = type;
        LogicalType = logicalType;
    }

    /// <summary>The schema's type.</summary>
    public AvroType Type { get; }

    /// <summary>The <c>logicalType</c> attribute (for example <c>timestamp-millis</c>), or <see langword="null"/>.</summary>
    /// <remarks>Logical types never change the encoding: resolution and skipping use <see cref="Type"/>.</remarks>
    public string? LogicalType { get; }

    /// <summary>Whether values of this schema take zero bytes (null, empty fixed, records of such fields).</summary>
    /// <remarks>Skipping uses it so a huge array count of zero-width items cannot spin for hours.</remarks>
    internal bool IsZeroWidth { get; set; }

    /// <summary>The schema's Parsing Canonical Form, as the specification defines it.</summary>
    /// <returns>The canonical JSON, computed once and cached.</returns>
    public string ToCanonicalForm()
    {
        if (_canonicalForm is null)
        {
            var builder = new StringBuilder();
            AvroSchemaWriter.WriteCanonical(this, builder, new HashSet<string>(StringComparer.Ordinal));
            _canonicalForm = builder.ToString();
        }

        return _canonicalForm;
    }

    /// <summary>The CRC-64-AVRO fingerprint of the canonical form (the single-object encoding's schema id).</summary>
    public ulong Fingerprint
    {
        get
        {
            if (!_hasFingerprint)
            {
                _fingerprint = AvroFingerprint.Crc64(ToCanonicalForm());
                _hasFingerprint = true;
            }

            return _fingerprint;
        }
    }

    /// <summary>Writes the schema as full JSON, keeping logical types, defaults, aliases and docs.</summary>
    /// <remarks>This is what container files store in <c>avro.schema</c>; use <see cref="ToCanonicalForm"/> to compare schemas.</remarks>
    /// <returns>The schema JSON.</returns>
    public string ToJson() => AvroSchemaWriter.WriteJson(this);

    /// <inheritdoc/>
    public override string ToString() => ToJson();

    /// <summary>Parses a schema from its JSON text.</summary>
    /// <param name="json">The schema: a primitive name in quotes, an object, or a union array.</param>
    /// <returns>The parsed schema.</returns>
    /// <exception cref="AvroSchemaException">The JSON is malformed or breaks a rule of the specification.</exception>
    public static AvroSchema Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return TryParse(json, out var schema, out var error) ? schema! : throw new AvroSchemaException(error!);
    }

    /// <summary>Parses a schema, reporting problems instead of throwing.</summary>
    /// <param name="json">The schema JSON.</param>
    /// <param name="schema">The parsed schema, or <see langword="null"/>.</param>
    /// <param name="error">Why parsing failed, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the schema parsed.</returns>
    public static bool TryParse(string json, out AvroSchema? schema, out string? error) =>
        AvroSchemaParser.TryParse(json, out schema, out error);

    /// <summary>Parses a schema from UTF-8 JSON (as stored in a container file header).</summary>
    /// <param name="utf8Json">The schema JSON bytes.</param>
    /// <param name="schema">The parsed schema, or <see langword="null"/>.</param>
    /// <param name="error">Why parsing failed, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the schema parsed.</returns>
    public static bool TryParse(ReadOnlyMemory<byte> utf8Json, out AvroSchema? schema, out string? error) =>
        AvroSchemaParser.TryParse(utf8Json, out schema, out error);

    /// <summary>Returns the shared instance of a primitive schema without a logical type.</summary>
    /// <param name="type">A primitive type: null, boolean, int, long, float, double, bytes or string.</param>
    /// <returns>The primitive schema.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not primitive.</exception>
    public static AvroPrimitiveSchema Primitive(AvroType type) => AvroPrimitiveSchema.Get(type);
}

/// <summary>A primitive schema (null, boolean, int, long, float, double, bytes, string), maybe with a logical type.</summary>
public sealed class AvroPrimitiveSchema : AvroSchema
{
    private static readonly AvroPrimitiveSchema[] s_shared = CreateShared();

    /// <summary>Creates a primitive schema.</summary>
    /// <param name="type">A primitive type.</param>
    /// <param name="logicalType">A logical type such as <c>timestamp-millis</c>, or <see langword="null"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="type"/> is not primitive.</exception>
    public AvroPrimitiveSchema(AvroType type, string? logicalType = null)
        : base(type, logicalType)
    {
        if (!IsPrimitive(type))
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "Not a primitive Avro type.");
        }

        IsZeroWidth = type == AvroType.Null;
    }

    /// <summary>A <c>long</c> carrying the <c>timestamp-millis</c> logical type.</summary>
    public static AvroPrimitiveSchema TimestampMillis { get; } = new(AvroType.Long, "timestamp-millis");

    internal static bool IsPrimitive(AvroType type) => type <= AvroType.String;

    internal static AvroPrimitiveSchema Get(AvroType type) =>
        IsPrimitive(type) ? s_shared[(int)type] : throw new ArgumentOutOfRangeException(nameof(type), type, "Not a primitive Avro type.");

    /// <summary>The primitive's name as written in schemas (<c>"long"</c>).</summary>
    /// <param name="type">A primitive type.</param>
    /// <returns>The lower-case name.</returns>
    internal static string NameOf(AvroType type) => type switch
    {
        AvroType.Null => "null",
        AvroType.Boolean => "boolean",
        AvroType.Int => "int",
        AvroType.Long => "long",
        AvroType.Float => "float",
        AvroType.Double => "double",
        AvroType.Bytes => "bytes",
        AvroType.String => "string",
        AvroType.Record => "record",
        AvroType.Enum => "enum",
        AvroType.Array => "array",
        AvroType.Map => "map",
        AvroType.Union => "union",
        _ => "fixed",
    };

    private static AvroPrimitiveSchema[] CreateShared()
    {
        var shared = new AvroPrimitiveSchema[(int)AvroType.String + 1];
        for (var i = 0; i < shared.Length; i++)
        {
            shared[i] = new AvroPrimitiveSchema((AvroType)i);
        }

        return shared;
    }
}

/// <summary>A schema with a name: record, enum or fixed.</summary>
public abstract class AvroNamedSchema : AvroSchema
{
    private protected AvroNamedSchema(AvroType type, string name, string? ns, IReadOnlyList<string>? aliases, string? doc, string? logicalType)
        : base(type, logicalType)
    {
        Name = name;
        Namespace = string.IsNullOrEmpty(ns) ? null : ns;
        FullName = Namespace is null ? name : Namespace + "." + name;
        Aliases = aliases ?? [];
        Doc = doc;
    }

    /// <summary>The unqualified name.</summary>
    public string Name { get; }

    /// <summary>The namespace, or <see langword="null"/> for the null namespace.</summary>
    public string? Namespace { get; }

    /// <summary>The full name: <c>namespace.name</c>, or the name alone.</summary>
    public string FullName { get; }

    /// <summary>Alternative full names a reader accepts for this type.</summary>
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>The documentation string, or <see langword="null"/>.</summary>
    public string? Doc { get; }
}

/// <summary>A record: named fields encoded one after another in declaration order.</summary>
public sealed class AvroRecordSchema : AvroNamedSchema
{
    private AvroField[] _fields = [];

    /// <summary>Creates a record schema.</summary>
    /// <param name="name">The name, or a full name containing dots.</param>
    /// <param name="ns">The namespace when <paramref name="name"/> has no dots.</param>
    /// <param name="fields">The fields in wire order.</param>
    /// <param name="aliases">Alternative names, or <see langword="null"/>.</param>
    /// <param name="doc">Documentation, or <see langword="null"/>.</param>
    /// <exception cref="AvroSchemaException">A name is invalid or a field name repeats.</exception>
    public AvroRecordSchema(string name, string? ns, IEnumerable<AvroField> fields, IReadOnlyList<string>? aliases = null, string? doc = null)
        : this(AvroSchemaParser.SplitName(name, ns), aliases, doc)
    {
        ArgumentNullException.ThrowIfNull(fields);
        SetFields([.. fields]);
    }

    internal AvroRecordSchema((string Name, string? Namespace) name, IReadOnlyList<string>? aliases, string? doc)
        : base(AvroType.Record, name.Name, name.Namespace, aliases, doc, null)
    {
    }

    /// <summary>The fields in wire order.</summary>
    public IReadOnlyList<AvroField> Fields => _fields;

    /// <summary>Finds a field by name.</summary>
    /// <param name="name">The field name (case-sensitive).</param>
    /// <returns>The field, or <see langword="null"/>.</returns>
    public AvroField? GetField(string name)
    {
        foreach (var field in _fields)
        {
            if (field.Name == name)
            {
                return field;
            }
        }

        return null;
    }

    internal void SetFields(AvroField[] fields)
    {
        var zeroWidth = true;
        for (var i = 0; i < fields.Length; i++)
        {
            fields[i].Position = i;
            for (var j = 0; j < i; j++)
            {
                if (fields[j].Name == fields[i].Name)
                {
                    throw new AvroSchemaException($"Record '{FullName}' declares field '{fields[i].Name}' twice.");
                }
            }

            // A self-referencing field is still being parsed (IsZeroWidth false), which is the safe answer.
            zeroWidth &= fields[i].Schema.IsZeroWidth;
        }

        _fields = fields;
        IsZeroWidth = zeroWidth;
    }
}

/// <summary>A field of an <see cref="AvroRecordSchema"/>.</summary>
public sealed class AvroField
{
    /// <summary>Creates a field.</summary>
    /// <param name="name">The field name.</param>
    /// <param name="schema">The field's schema.</param>
    /// <param name="defaultJson">The <c>default</c> value as raw JSON (a reader uses it when the writer lacks the field), or <see langword="null"/>.</param>
    /// <param name="aliases">Alternative names a reader accepts, or <see langword="null"/>.</param>
    /// <param name="doc">Documentation, or <see langword="null"/>.</param>
    public AvroField(string name, AvroSchema schema, string? defaultJson = null, IReadOnlyList<string>? aliases = null, string? doc = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        if (!AvroSchemaParser.IsValidName(name))
        {
            throw new AvroSchemaException($"'{name}' is not a valid Avro field name.");
        }

        Name = name;
        Schema = schema;
        DefaultJson = defaultJson;
        Aliases = aliases ?? [];
        Doc = doc;
    }

    /// <summary>The field name.</summary>
    public string Name { get; }

    /// <summary>The field's schema.</summary>
    public AvroSchema Schema { get; }

    /// <summary>The default value as raw JSON, or <see langword="null"/> when the field has none.</summary>
    public string? DefaultJson { get; }

    /// <summary>Whether the field declares a default.</summary>
    public bool HasDefault => DefaultJson is not null;

    /// <summary>Alternative names a reader matches against writer fields.</summary>
    public IReadOnlyList<string> Aliases { get; }

    /// <summary>The documentation string, or <see langword="null"/>.</summary>
    public string? Doc { get; }

    /// <summary>The field's position in its record.</summary>
    public int Position { get; internal set; }
}

/// <summary>An enum: a named list of symbols, encoded as the zero-based int index of the symbol.</summary>
public sealed class AvroEnumSchema : AvroNamedSchema
{
    /// <summary>Creates an enum schema.</summary>
    /// <param name="name">The name, or a full name.</param>
    /// <param name="ns">The namespace when <paramref name="name"/> has no dots.</param>
    /// <param name="symbols">The symbols, unique and valid names.</param>
    /// <param name="defaultSymbol">The symbol a reader uses for writer symbols it lacks, or <see langword="null"/>.</param>
    /// <param name="aliases">Alternative names, or <see langword="null"/>.</param>
    /// <param name="doc">Documentation, or <see langword="null"/>.</param>
    public AvroEnumSchema(string name, string? ns, IReadOnlyList<string> symbols, string? defaultSymbol = null, IReadOnlyList<string>? aliases = null, string? doc = null)
        : this(AvroSchemaParser.SplitName(name, ns), symbols, defaultSymbol, aliases, doc)
    {
    }

    internal AvroEnumSchema((string Name, string? Namespace) name, IReadOnlyList<string> symbols, string? defaultSymbol, IReadOnlyList<string>? aliases, string? doc)
        : base(AvroType.Enum, name.Name, name.Namespace, aliases, doc, null)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        var utf8 = new byte[symbols.Count][];
        for (var i = 0; i < symbols.Count; i++)
        {
            if (!AvroSchemaParser.IsValidName(symbols[i]))
            {
                throw new AvroSchemaException($"Enum '{FullName}' has invalid symbol '{symbols[i]}'.");
            }

            for (var j = 0; j < i; j++)
            {
                if (symbols[j] == symbols[i])
                {
                    throw new AvroSchemaException($"Enum '{FullName}' repeats symbol '{symbols[i]}'.");
                }
            }

            utf8[i] = Encoding.UTF8.GetBytes(symbols[i]);
        }

        if (defaultSymbol is not null && !symbols.Contains(defaultSymbol))
        {
            throw new AvroSchemaException($"Enum '{FullName}' default '{defaultSymbol}' is not one of its symbols.");
        }

        Symbols = symbols;
        Utf8Symbols = utf8;
        Default = defaultSymbol;
    }

    /// <summary>The symbols in index order.</summary>
    public IReadOnlyList<string> Symbols { get; }

    /// <summary>The default symbol for resolution, or <see langword="null"/>.</summary>
    public string? Default { get; }

    internal byte[][] Utf8Symbols { get; }
}

/// <summary>An array of items of one schema.</summary>
/// <param name="items">The item schema.</param>
public sealed class AvroArraySchema(AvroSchema items) : AvroSchema(AvroType.Array, null)
{
    /// <summary>The item schema.</summary>
    public AvroSchema Items { get; } = items ?? throw new ArgumentNullException(nameof(items));
}

/// <summary>A map from string keys to values of one schema.</summary>
/// <param name="values">The value schema.</param>
public sealed class AvroMapSchema(AvroSchema values) : AvroSchema(AvroType.Map, null)
{
    /// <summary>The value schema.</summary>
    public AvroSchema Values { get; } = values ?? throw new ArgumentNullException(nameof(values));
}

/// <summary>A union: a value of one of several schemas, preceded by the branch index.</summary>
public sealed class AvroUnionSchema : AvroSchema
{
    /// <summary>Creates a union.</summary>
    /// <param name="branches">The branches: no directly nested unions, no two of the same unnamed type or full name.</param>
    /// <exception cref="AvroSchemaException">The branches break a union rule.</exception>
    public AvroUnionSchema(IReadOnlyList<AvroSchema> branches)
        : base(AvroType.Union, null)
    {
        ArgumentNullException.ThrowIfNull(branches);
        for (var i = 0; i < branches.Count; i++)
        {
            if (branches[i].Type == AvroType.Union)
            {
                throw new AvroSchemaException("A union may not directly contain another union.");
            }

            for (var j = 0; j < i; j++)
            {
                if (SameBranchKey(branches[i], branches[j]))
                {
                    throw new AvroSchemaException($"A union may not contain two branches of the same type '{BranchKey(branches[i])}'.");
                }
            }
        }

        Branches = branches;
    }

    /// <summary>The branch schemas in index order.</summary>
    public IReadOnlyList<AvroSchema> Branches { get; }

    /// <summary>The index of the <c>null</c> branch, or -1.</summary>
    public int NullIndex
    {
        get
        {
            for (var i = 0; i < Branches.Count; i++)
            {
                if (Branches[i].Type == AvroType.Null)
                {
                    return i;
                }
            }

            return -1;
        }
    }

    private static bool SameBranchKey(AvroSchema a, AvroSchema b) => BranchKey(a) == BranchKey(b);

    private static string BranchKey(AvroSchema s) => s is AvroNamedSchema named ? named.FullName : AvroPrimitiveSchema.NameOf(s.Type);
}

/// <summary>A named fixed-size byte array.</summary>
public sealed class AvroFixedSchema : AvroNamedSchema
{
    /// <summary>Creates a fixed schema.</summary>
    /// <param name="name">The name, or a full name.</param>
    /// <param name="ns">The namespace when <paramref name="name"/> has no dots.</param>
    /// <param name="size">The size in bytes.</param>
    /// <param name="logicalType">A logical type such as <c>decimal</c>, or <see langword="null"/>.</param>
    /// <param name="aliases">Alternative names, or <see langword="null"/>.</param>
    /// <param name="doc">Documentation, or <see langword="null"/>.</param>
    public AvroFixedSchema(string name, string? ns, int size, string? logicalType = null, IReadOnlyList<string>? aliases = null, string? doc = null)
        : this(AvroSchemaParser.SplitName(name, ns), size, logicalType, aliases, doc)
    {
    }

    internal AvroFixedSchema((string Name, string? Namespace) name, int size, string? logicalType, IReadOnlyList<string>? aliases, string? doc)
        : base(AvroType.Fixed, name.Name, name.Namespace, aliases, doc, logicalType)
    {
        if (size < 0)
        {
            throw new AvroSchemaException($"Fixed '{FullName}' has negative size {size}.");
        }

        Size = size;
        IsZeroWidth = size == 0;
    }

    /// <summary>The size in bytes.</summary>
    public int Size { get; }
}
