using System.Globalization;
using System.Text;
using System.Text.Json;
using Avro;
using StreamKit.Avro.Binary;
using StreamKit.Records;

namespace StreamKit.Avro.Resolution;

/// <summary>
/// The resolution of one writer schema (an Apache.Avro <see cref="RecordSchema"/>) against a reader's
/// <see cref="RecordMap{T}"/>, compiled once into a flat array of steps so decoding a record is a tight loop that
/// allocates nothing.
/// </summary>
/// <remarks>
/// <para>
/// Follows the specification's schema resolution rules: fields match by name (then by the reader schema's
/// aliases), in any order; writer fields the reader does not map are skipped whatever their type (records, arrays,
/// maps, unions included); reader fields the writer lacks take the reader schema's default, stay at the struct's
/// default when the map field is optional, and otherwise make compilation fail. Numbers promote int→long→double
/// and float→double; <c>string</c> and <c>bytes</c> are interchangeable; <c>timestamp-millis</c> is a long.
/// A writer union resolves per branch: the <c>null</c> branch leaves the field absent (a required field then
/// fails the record), a branch the field cannot hold fails the record when it occurs. A writer enum is delivered
/// as its symbol's UTF-8 bytes to a string field, mapped through the reader schema's enum when one is given.
/// </para>
/// <para>
/// Two deliberate departures, because a <see cref="RecordMap{T}"/> is not an Avro schema: record names are not
/// compared, and a writer <c>long</c> may fill an Int32 field, checked per value — a value out of the int range
/// fails that record (dead-lettered), not the whole file. Ids written as <c>long</c> by other systems are common,
/// and refusing every file for them would be the less useful reading of the specification's intent.
/// Immutable and thread-safe once compiled.
/// </para>
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public sealed class ResolutionProgram<T>
    where T : struct
{
    private readonly ResolutionStep<T>[] _steps;
    private readonly int _mainCount;
    private readonly ulong _requiredMask;

    private ResolutionProgram(RecordSchema writerSchema, RecordMap<T> map, ResolutionStep<T>[] steps, int mainCount)
    {
        WriterSchema = writerSchema;
        Map = map;
        _steps = steps;
        _mainCount = mainCount;
        _requiredMask = map.RequiredMask;
    }

    /// <summary>The writer schema this program reads.</summary>
    public RecordSchema WriterSchema { get; }

    /// <summary>The reader's record map.</summary>
    public RecordMap<T> Map { get; }

    /// <summary>How many top-level steps run per record (one per writer field, plus one per default).</summary>
    public int StepCount => _mainCount;

    /// <summary>See <see cref="ResolutionProgram.Compile{T}"/>.</summary>
    internal static ResolutionProgram<T> Compile(Schema writerSchema, RecordMap<T> map, RecordSchema? readerSchema = null) =>
        TryCompile(writerSchema, map, readerSchema, out var program, out var error) ? program! : throw new AvroTypeException(error!);

    /// <summary>See <see cref="ResolutionProgram.TryCompile{T}"/>.</summary>
    internal static bool TryCompile(Schema writerSchema, RecordMap<T> map, RecordSchema? readerSchema, out ResolutionProgram<T>? program, out string? error)
    {
        ArgumentNullException.ThrowIfNull(writerSchema);
        ArgumentNullException.ThrowIfNull(map);
        program = null;
        if (writerSchema is not RecordSchema writer)
        {
            error = $"The writer schema must be a record, not {writerSchema.Name}.";
            return false;
        }

        var main = new List<ResolutionStep<T>>();
        var branches = new List<ResolutionStep<T>>();
        var matched = new bool[map.Fields.Count];
        foreach (var writerField in writer.Fields)
        {
            var field = Match(writerField, writer, map, readerSchema, matched);
            if (field is null || !field.CanSet)
            {
                main.Add(new ResolutionStep<T>(StepOp.Skip, skip: AvroSkipPlan.Compile(writerField.Schema)) { Message = writerField.Name });
                continue;
            }

            matched[field.Index] = true;
            var readerField = FieldOf(readerSchema, field.Name);
            if (!TryCompileValue(writerField.Schema, field, readerField, branches, out var step, out error))
            {
                return false;
            }

            main.Add(step);
        }

        for (var i = 0; i < map.Fields.Count; i++)
        {
            var field = map.Fields[i];
            if (matched[i] || !field.CanSet)
            {
                continue;
            }

            var readerField = FieldOf(readerSchema, field.Name);
            if (readerField?.DefaultValue is { Type: not Newtonsoft.Json.Linq.JTokenType.Null } defaultValue)
            {
                if (!TryCompileDefault(field, readerField, defaultValue.ToString(Newtonsoft.Json.Formatting.None), out var step, out error))
                {
                    return false;
                }

                main.Add(step);
            }
            else if (field.IsRequired)
            {
                error = $"Writer schema '{writer.Fullname}' has no field '{field.Name}' and the reader requires it without a default.";
                return false;
            }
        }

        // Branch steps live after the top-level steps in the same array, addressed by offset.
        var steps = new ResolutionStep<T>[main.Count + branches.Count];
        main.CopyTo(steps);
        for (var i = 0; i < branches.Count; i++)
        {
            steps[main.Count + i] = branches[i];
        }

        for (var i = 0; i < main.Count; i++)
        {
            if (steps[i].Op == StepOp.Union)
            {
                steps[i] = steps[i] with { BranchStart = steps[i].BranchStart + main.Count };
            }
        }

        program = new ResolutionProgram<T>(writer, map, steps, main.Count);
        error = null;
        return true;
    }

    /// <summary>Decodes one record from <paramref name="reader"/>, leaving it after the record's last byte.</summary>
    /// <param name="reader">Positioned at the record.</param>
    /// <param name="record">The record to fill; fields the data lacks keep their values.</param>
    /// <param name="error">Why the record was rejected, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the record decoded and has every required field.</returns>
    /// <remarks>Allocates nothing on success; on failure allocates the error message.</remarks>
    public bool TryDecode(ref AvroReader reader, ref T record, out string? error)
    {
        var steps = _steps;
        ulong seen = 0;
        for (var i = 0; i < _mainCount; i++)
        {
            var start = reader.Position;
            if (!Run(steps, i, ref reader, ref record, ref seen))
            {
                reader.Rewind(start);
                error = Describe(steps, i, ref reader, ref record);
                return false;
            }
        }

        if ((seen & _requiredMask) != _requiredMask)
        {
            error = $"Required field '{Map.FirstMissing(seen)}' is null or absent.";
            return false;
        }

        error = null;
        return true;
    }

    private static bool Run(ResolutionStep<T>[] steps, int index, ref AvroReader reader, ref T record, ref ulong seen)
    {
        ref readonly var step = ref steps[index];
        var field = step.Field;
        switch (step.Op)
        {
            case StepOp.IntToField:
                if (!reader.TryReadInt(out var i32) || !field!.SetInt64(ref record, i32))
                {
                    return false;
                }

                break;
            case StepOp.LongToField:
                if (!reader.TryReadLong(out var i64) || !field!.SetInt64(ref record, i64))
                {
                    return false;
                }

                break;
            case StepOp.FloatToField:
                if (!reader.TryReadFloat(out var f32) || !field!.SetDouble(ref record, f32))
                {
                    return false;
                }

                break;
            case StepOp.DoubleToField:
                if (!reader.TryReadDouble(out var f64) || !field!.SetDouble(ref record, f64))
                {
                    return false;
                }

                break;
            case StepOp.BooleanToField:
                if (!reader.TryReadBoolean(out var b) || !field!.SetBoolean(ref record, b))
                {
                    return false;
                }

                break;
            case StepOp.BytesToField:
                if (!reader.TryReadBytes(out var utf8) || !field!.SetString(ref record, utf8))
                {
                    return false;
                }

                break;
            case StepOp.EnumToField:
                var symbols = step.Symbols!;
                if (!reader.TryReadInt(out var symbol) || (uint)symbol >= (uint)symbols.Length
                    || symbols[symbol] is not { } symbolUtf8 || !field!.SetString(ref record, symbolUtf8))
                {
                    return false;
                }

                break;
            case StepOp.Union:
                // Branch steps are single steps and never unions (unions cannot nest), so this recursion is one level.
                return reader.TryReadLong(out var branch)
                    && (ulong)branch < (ulong)step.BranchCount
                    && Run(steps, step.BranchStart + (int)branch, ref reader, ref record, ref seen);
            case StepOp.Skip:
                return reader.TrySkip(step.Skip!);
            case StepOp.Null:
                return true;
            case StepOp.DefaultInt64:
                field!.SetInt64(ref record, step.Default);
                break;
            case StepOp.DefaultDouble:
                field!.SetDouble(ref record, BitConverter.Int64BitsToDouble(step.Default));
                break;
            case StepOp.DefaultBoolean:
                field!.SetBoolean(ref record, step.Default != 0);
                break;
            case StepOp.DefaultString:
                if (!field!.SetString(ref record, step.Symbols![0]))
                {
                    return false;
                }

                break;
            default:
                return false;
        }

        seen |= 1UL << field!.Index;
        return true;
    }

    /// <summary>Explains a failed step; the bad path, so it may allocate.</summary>
    private static string Describe(ResolutionStep<T>[] steps, int index, ref AvroReader reader, ref T record)
    {
        var step = steps[index];
        var probe = reader;
        if (step.Op == StepOp.Union)
        {
            if (!probe.TryReadLong(out var branch))
            {
                return $"Field '{step.Field!.Name}': truncated or malformed union index at offset {reader.Position}.";
            }

            if ((ulong)branch >= (ulong)step.BranchCount)
            {
                return $"Field '{step.Field!.Name}': union index {branch} is out of range (0..{step.BranchCount - 1}) at offset {reader.Position}.";
            }

            step = steps[step.BranchStart + (int)branch];
            if (step.Op == StepOp.Fail)
            {
                return step.Message!;
            }
        }

        var offset = probe.Position;
        if (step.Op == StepOp.Skip)
        {
            return $"Writer field '{step.Message}': truncated or malformed value at offset {offset}.";
        }

        if (step.Op == StepOp.EnumToField && probe.TryReadInt(out var symbol))
        {
            if ((uint)symbol >= (uint)step.Symbols!.Length)
            {
                return $"Field '{step.Field!.Name}': enum index {symbol} is out of range at offset {offset}.";
            }

            if (step.Symbols[symbol] is null)
            {
                return $"Field '{step.Field!.Name}': writer enum symbol {symbol} has no match in the reader's enum and the reader has no default.";
            }
        }

        return $"Field '{step.Field!.Name}' ({step.Field.Kind}): truncated, malformed or unacceptable {step.Op switch
        {
            StepOp.IntToField => "int",
            StepOp.LongToField => "long",
            StepOp.FloatToField => "float",
            StepOp.DoubleToField => "double",
            StepOp.BooleanToField => "boolean",
            StepOp.BytesToField => "string/bytes",
            StepOp.EnumToField => "enum",
            _ => "value",
        }} at offset {offset} (or the field's setter rejected it, or it does not fit).";
    }

    private static Field? FieldOf(RecordSchema? schema, string name) =>
        schema is not null && schema.TryGetField(name, out var field) ? field : null;

    private static RecordField<T>? Match(Field writerField, RecordSchema writer, RecordMap<T> map, RecordSchema? readerSchema, bool[] matched)
    {
        var field = map.Find(writerField.Name);
        if (field is not null)
        {
            return matched[field.Index] ? null : field;
        }

        if (readerSchema is null)
        {
            return null;
        }

        // Reader aliases name writer fields: used only when the writer has no field under the reader's own name.
        foreach (var readerField in readerSchema.Fields)
        {
            foreach (var alias in readerField.Aliases ?? [])
            {
                if (alias == writerField.Name && map.Find(readerField.Name) is { } aliased && !matched[aliased.Index] && !writer.TryGetField(aliased.Name, out _))
                {
                    return aliased;
                }
            }
        }

        return null;
    }

    private static bool TryCompileValue(Schema writer, RecordField<T> field, Field? readerField, List<ResolutionStep<T>> branches, out ResolutionStep<T> step, out string? error)
    {
        writer = AvroSchemas.Encoding(writer);
        if (writer is UnionSchema union)
        {
            var start = branches.Count;
            var anyResolves = false;
            var nullIndex = -1;
            foreach (var _ in union.Schemas)
            {
                branches.Add(default);
            }

            for (var i = 0; i < union.Schemas.Count; i++)
            {
                var branchSchema = AvroSchemas.Encoding(union.Schemas[i]);
                if (branchSchema.Tag == Schema.Type.Null)
                {
                    branches[start + i] = new ResolutionStep<T>(StepOp.Null, field);
                    nullIndex = i;
                }
                else if (TryCompileSimple(branchSchema, field, readerField, out var branchStep, out var branchError))
                {
                    branches[start + i] = branchStep;
                    anyResolves = true;
                }
                else
                {
                    branches[start + i] = new ResolutionStep<T>(StepOp.Fail, field) { Message = branchError };
                }
            }

            if (!anyResolves && nullIndex < 0)
            {
                step = default;
                error = $"Field '{field.Name}': no branch of the writer's union {SchemaNormalization.ToParsingForm(union)} can be read as {field.Kind}.";
                return false;
            }

            step = new ResolutionStep<T>(StepOp.Union, field) { BranchStart = start, BranchCount = union.Schemas.Count };
            error = null;
            return true;
        }

        if (writer.Tag == Schema.Type.Null)
        {
            if (field.IsRequired)
            {
                step = default;
                error = $"Field '{field.Name}' is always null in the writer's schema but the reader requires it.";
                return false;
            }

            step = new ResolutionStep<T>(StepOp.Null, field);
            error = null;
            return true;
        }

        return TryCompileSimple(writer, field, readerField, out step, out error);
    }

    private static bool TryCompileSimple(Schema writer, RecordField<T> field, Field? readerField, out ResolutionStep<T> step, out string? error)
    {
        var kind = field.Kind;
        var op = (writer.Tag, kind) switch
        {
            (Schema.Type.Int, FieldKind.Int32 or FieldKind.Int64 or FieldKind.TimestampMillis or FieldKind.Double) => StepOp.IntToField,
            (Schema.Type.Long, FieldKind.Int32 or FieldKind.Int64 or FieldKind.TimestampMillis or FieldKind.Double) => StepOp.LongToField,
            (Schema.Type.Float, FieldKind.Double) => StepOp.FloatToField,
            (Schema.Type.Double, FieldKind.Double) => StepOp.DoubleToField,
            (Schema.Type.Boolean, FieldKind.Boolean) => StepOp.BooleanToField,
            (Schema.Type.String or Schema.Type.Bytes, FieldKind.String) => StepOp.BytesToField,
            (Schema.Type.Enumeration, FieldKind.String) => StepOp.EnumToField,
            _ => StepOp.Fail,
        };

        if (op == StepOp.Fail)
        {
            step = default;
            error = $"Field '{field.Name}': the writer's {Describe(writer)} cannot be read as {kind} (no Avro promotion applies).";
            return false;
        }

        step = new ResolutionStep<T>(op, field);
        if (op == StepOp.EnumToField)
        {
            var writerEnum = (EnumSchema)writer;
            var symbols = new byte[]?[writerEnum.Symbols.Count];
            var readerEnum = FindReaderEnum(readerField?.Schema);
            for (var i = 0; i < symbols.Length; i++)
            {
                if (readerEnum is null || readerEnum.Contains(writerEnum.Symbols[i]))
                {
                    symbols[i] = Encoding.UTF8.GetBytes(writerEnum.Symbols[i]);
                }
                else if (readerEnum.Default is not null)
                {
                    symbols[i] = Encoding.UTF8.GetBytes(readerEnum.Default);
                }
            }

            step = step with { Symbols = symbols };
        }

        error = null;
        return true;
    }

    private static EnumSchema? FindReaderEnum(Schema? schema)
    {
        if (schema is UnionSchema union)
        {
            foreach (var branch in union.Schemas)
            {
                if (branch is EnumSchema e)
                {
                    return e;
                }
            }
        }

        return schema as EnumSchema;
    }

    private static string Describe(Schema schema) => schema switch
    {
        NamedSchema named => Schema.GetTypeString(schema.Tag) + " '" + named.Fullname + "'",
        _ => Schema.GetTypeString(schema.Tag),
    };

    private static bool TryCompileDefault(RecordField<T> field, Field readerField, string defaultJson, out ResolutionStep<T> step, out string? error)
    {
        step = default;
        error = null;
        try
        {
            using var document = JsonDocument.Parse(defaultJson);
            var value = document.RootElement;
            switch (field.Kind)
            {
                case FieldKind.Int32:
                case FieldKind.Int64:
                case FieldKind.TimestampMillis:
                    if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var l))
                    {
                        step = new ResolutionStep<T>(StepOp.DefaultInt64, field) { Default = l };
                        return true;
                    }

                    break;
                case FieldKind.Double:
                    if (value.ValueKind == JsonValueKind.Number)
                    {
                        step = new ResolutionStep<T>(StepOp.DefaultDouble, field) { Default = BitConverter.DoubleToInt64Bits(value.GetDouble()) };
                        return true;
                    }

                    break;
                case FieldKind.Boolean:
                    if (value.ValueKind is JsonValueKind.True or JsonValueKind.False)
                    {
                        step = new ResolutionStep<T>(StepOp.DefaultBoolean, field) { Default = value.ValueKind == JsonValueKind.True ? 1 : 0 };
                        return true;
                    }

                    break;
                case FieldKind.String:
                    if (value.ValueKind == JsonValueKind.String)
                    {
                        // Spec: a bytes default is a JSON string whose code points 0-255 are the byte values.
                        var text = value.GetString()!;
                        var bytes = IsBytes(readerField.Schema) ? Latin1(text) : Encoding.UTF8.GetBytes(text);
                        step = new ResolutionStep<T>(StepOp.DefaultString, field) { Symbols = [bytes] };
                        return true;
                    }

                    break;
            }
        }
        catch (JsonException)
        {
        }

        error = string.Create(CultureInfo.InvariantCulture, $"Field '{field.Name}': default {defaultJson} does not suit a {field.Kind} field.");
        return false;
    }

    private static bool IsBytes(Schema schema) =>
        AvroSchemas.Encoding(schema).Tag == Schema.Type.Bytes
        || (schema is UnionSchema u && u.Schemas.Count > 0 && AvroSchemas.Encoding(u.Schemas[0]).Tag == Schema.Type.Bytes);

    private static byte[] Latin1(string text)
    {
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            bytes[i] = (byte)text[i];
        }

        return bytes;
    }
}
