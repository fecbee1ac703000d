using Avro;

namespace StreamKit.Avro.Binary;

/// <summary>How to step over one value of a writer schema: a compact tree compiled once from an Apache.Avro <see cref="Schema"/>.</summary>
/// <remarks>
/// <see cref="AvroReader"/> skips unmapped fields and splits container blocks into records with it, per record, so
/// it holds arrays instead of Apache.Avro's lists and answers <see cref="IsZeroWidth"/> without walking the schema.
/// Named types that refer to themselves compile to the same node, so the tree is a graph like the schema.
/// Immutable and thread-safe.
/// </remarks>
internal sealed class AvroSkipPlan
{
    private AvroSkipPlan(Schema.Type type, int size)
    {
        Type = type;
        Size = size;
    }

    /// <summary>The encoding's type (a logical type's base type).</summary>
    public Schema.Type Type { get; }

    /// <summary>The size of a fixed.</summary>
    public int Size { get; }

    /// <summary>Record fields in wire order, union branches in index order, or the one array item or map value plan.</summary>
    public AvroSkipPlan[] Children { get; private set; } = [];

    /// <summary>Whether values take zero bytes (null, records of such fields), so a huge array count of them cannot spin.</summary>
    public bool IsZeroWidth { get; private set; }

    /// <summary>Compiles the plan for <paramref name="schema"/>.</summary>
    public static AvroSkipPlan Compile(Schema schema)
    {
        ArgumentNullException.ThrowIfNull(schema);
        return Compile(schema, new Dictionary<Schema, AvroSkipPlan>(ReferenceEqualityComparer.Instance));
    }

    private static AvroSkipPlan Compile(Schema schema, Dictionary<Schema, AvroSkipPlan> named)
    {
        schema = AvroSchemas.Encoding(schema);
        if (named.TryGetValue(schema, out var existing))
        {
            return existing; // a record referring to itself: still being compiled, and not zero-width, the safe answer
        }

        var plan = new AvroSkipPlan(schema.Tag, schema is FixedSchema fixedSchema ? fixedSchema.Size : 0);
        switch (schema)
        {
            case RecordSchema record:
                named.Add(schema, plan);
                var fields = new AvroSkipPlan[record.Fields.Count];
                var zeroWidth = true;
                for (var i = 0; i < fields.Length; i++)
                {
                    fields[i] = Compile(record.Fields[i].Schema, named);
                    zeroWidth &= fields[i].IsZeroWidth;
                }

                plan.Children = fields;
                plan.IsZeroWidth = zeroWidth;
                break;
            case UnionSchema union:
                var branches = new AvroSkipPlan[union.Schemas.Count];
                for (var i = 0; i < branches.Length; i++)
                {
                    branches[i] = Compile(union.Schemas[i], named);
                }

                plan.Children = branches;
                break;
            case ArraySchema array:
                plan.Children = [Compile(array.ItemSchema, named)];
                break;
            case MapSchema map:
                plan.Children = [Compile(map.ValueSchema, named)];
                break;
            default:
                plan.IsZeroWidth = schema.Tag == Schema.Type.Null || (schema is FixedSchema { Size: 0 });
                break;
        }

        return plan;
    }
}
