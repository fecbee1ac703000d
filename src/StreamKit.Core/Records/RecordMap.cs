namespace StreamKit.Records;

/// <summary>
/// Describes how a user struct maps to named fields, once, for every format: JSON lines, MessagePack and Avro
/// decoders call the setters, encoders call the getters.
/// </summary>
/// <remarks>
/// Build it once at start-up and share it; it is immutable after building and safe to read from many threads.
/// Decoders match names exactly (case-sensitive), ignore unknown fields, and dead-letter records that lack a
/// required field. At most 64 fields.
/// </remarks>
/// <example>
/// <code>
/// var map = new RecordMap&lt;Click&gt;()
///     .Int64("ts", static (ref Click c, long v) => c.Ts = v, static (in Click c) => c.Ts)
///     .Int32("pageId", static (ref Click c, int v) => c.PageId = v, static (in Click c) => c.PageId);
/// </code>
/// </example>
/// <typeparam name="T">The record struct.</typeparam>
public sealed class RecordMap<T>
    where T : struct
{
    private const int MaxFields = 64;
    private readonly List<RecordField<T>> _fields = [];
    private ulong _requiredMask;

    /// <summary>The fields in declaration order; encoders write them in this order.</summary>
    public IReadOnlyList<RecordField<T>> Fields => _fields;

    /// <summary>A bit per field index, set for required fields: decoders compare it with the fields they saw.</summary>
    public ulong RequiredMask => _requiredMask;

    /// <summary>Adds a 32-bit integer field.</summary>
    public RecordMap<T> Int32(string name, FieldSetter<T, int>? set, FieldGetter<T, int>? get = null, bool required = true) =>
        Add(name, FieldKind.Int32, set, get, required);

    /// <summary>Adds an 8-bit unsigned integer field.</summary>
    /// <remarks>
    /// On the wire it is an integer (<see cref="FieldKind.Int32"/>: a JSON number, a MessagePack integer, an Avro
    /// <c>int</c>); decoders reject values outside 0 to 255 rather than wrap them.
    /// </remarks>
    public RecordMap<T> Byte(string name, FieldSetter<T, byte>? set, FieldGetter<T, byte>? get = null, bool required = true) =>
        Add(
            name,
            FieldKind.Int32,
            set is null ? null : new FieldSetter<T, int>((ref T record, int value) => set(ref record, (byte)value)),
            get is null ? null : new FieldGetter<T, int>((in T record) => get(in record)),
            required,
            byte.MinValue,
            byte.MaxValue);

    /// <summary>Adds an enum field, written as the member's name.</summary>
    /// <remarks>
    /// Names, as Kafka Streams' JSON serdes (Jackson) and System.Text.Json's <c>JsonStringEnumConverter</c> write
    /// enums, and as Avro enums are written: readable, and safe when members are reordered. On the wire it is a
    /// <see cref="FieldKind.String"/> in every format. Decoders match names case-insensitively (as
    /// <c>JsonStringEnumConverter</c> reads) and reject unknown names; a value that is not a declared member (a flags
    /// combination, a member added later) is written as its number in the string and read back from it, so nothing is lost. <paramref name="naming"/> renames members on the wire,
    /// e.g. <see cref="System.Text.Json.JsonNamingPolicy.CamelCase"/> for <c>"pageView"</c>.
    /// </remarks>
    public RecordMap<T> Enum<TEnum>(string name, FieldSetter<T, TEnum>? set, FieldGetter<T, TEnum>? get = null, bool required = true, System.Text.Json.JsonNamingPolicy? naming = null)
        where TEnum : struct, Enum
    {
        var names = new EnumNames<TEnum>(naming);
        return Add(
            name,
            FieldKind.String,
            set is null ? null : new Utf8FieldSetter<T>((ref T record, ReadOnlySpan<byte> utf8) =>
            {
                if (!names.TryParse(utf8, out var value))
                {
                    return false;
                }

                set(ref record, value);
                return true;
            }),
            get is null ? null : new Utf8FieldGetter<T>((in T record) => names.GetName(get(in record))),
            required);
    }

    /// <summary>Adds a 64-bit integer field.</summary>
    public RecordMap<T> Int64(string name, FieldSetter<T, long>? set, FieldGetter<T, long>? get = null, bool required = true) =>
        Add(name, FieldKind.Int64, set, get, required);

    /// <summary>Adds a timestamp field in Unix epoch milliseconds (an integer on the wire, or a format's timestamp type).</summary>
    public RecordMap<T> TimestampMillis(string name, FieldSetter<T, long>? set, FieldGetter<T, long>? get = null, bool required = true) =>
        Add(name, FieldKind.TimestampMillis, set, get, required);

    /// <summary>Adds a 64-bit float field.</summary>
    public RecordMap<T> Double(string name, FieldSetter<T, double>? set, FieldGetter<T, double>? get = null, bool required = true) =>
        Add(name, FieldKind.Double, set, get, required);

    /// <summary>Adds a boolean field.</summary>
    public RecordMap<T> Boolean(string name, FieldSetter<T, bool>? set, FieldGetter<T, bool>? get = null, bool required = true) =>
        Add(name, FieldKind.Boolean, set, get, required);

    /// <summary>Adds a UTF-8 string field.</summary>
    /// <remarks>The setter sees the raw UTF-8 bytes (unescaped); intern or parse them rather than allocate a string.</remarks>
    public RecordMap<T> String(string name, Utf8FieldSetter<T>? set, Utf8FieldGetter<T>? get = null, bool required = true) =>
        Add(name, FieldKind.String, set, get, required);

    /// <summary>Finds a field by its UTF-8 name.</summary>
    /// <returns>The field, or <see langword="null"/> for a name the map does not know (decoders skip it).</returns>
    public RecordField<T>? Find(ReadOnlySpan<byte> utf8Name)
    {
        // Linear over a handful of fields beats hashing the name: most records have under ten fields, and the
        // first-byte and length checks reject almost every wrong candidate without a full comparison.
        var fields = _fields;
        for (var i = 0; i < fields.Count; i++)
        {
            var candidate = fields[i].Utf8Name.Span;
            if (candidate.Length == utf8Name.Length && candidate.SequenceEqual(utf8Name))
            {
                return fields[i];
            }
        }

        return null;
    }

    /// <summary>Finds a field by name.</summary>
    /// <returns>The field, or <see langword="null"/>.</returns>
    public RecordField<T>? Find(string name)
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

    /// <summary>Names the first required field missing from <paramref name="seenMask"/>, for a dead-letter reason.</summary>
    /// <returns>The missing field's name, or <see langword="null"/> when none is missing.</returns>
    public string? FirstMissing(ulong seenMask)
    {
        var missing = _requiredMask & ~seenMask;
        return missing == 0 ? null : _fields[System.Numerics.BitOperations.TrailingZeroCount(missing)].Name;
    }

    private RecordMap<T> Add(string name, FieldKind kind, Delegate? set, Delegate? get, bool required, int minimum = int.MinValue, int maximum = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (set is null && get is null)
        {
            throw new ArgumentException($"Field '{name}' needs a setter, a getter or both.", nameof(set));
        }

        if (_fields.Count == MaxFields)
        {
            throw new InvalidOperationException($"A record map holds at most {MaxFields} fields.");
        }

        if (Find(name) is not null)
        {
            throw new ArgumentException($"Field '{name}' is mapped twice.", nameof(name));
        }

        var field = new RecordField<T>(name, kind, set, get, required, _fields.Count, minimum, maximum);
        _fields.Add(field);
        if (field.IsRequired)
        {
            _requiredMask |= 1UL << field.Index;
        }

        return this;
    }
}
