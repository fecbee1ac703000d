using System.Text.Json;
using StreamKit.Avro.Schema;

namespace StreamKit.Avro.Tests;

public class AvroSchemaTests
{
    public static TheoryData<string, string, long?> GoldenCases()
    {
        var data = new TheoryData<string, string, long?>();
        foreach (var line in File.ReadAllLines(TestPaths.Golden("schema-fingerprints.jsonl")))
        {
            using var doc = JsonDocument.Parse(line);
            var root = doc.RootElement;
            var fp = root.GetProperty("fingerprint");
            data.Add(root.GetProperty("input").GetString()!, root.GetProperty("canonical").GetString()!, fp.ValueKind == JsonValueKind.Null ? null : fp.GetInt64());
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(GoldenCases))]
    public void ToCanonicalForm_SpecTestData_MatchesCanonicalAndFingerprint(string input, string canonical, long? fingerprint)
    {
        var schema = AvroSchema.Parse(input);
        Assert.Equal(canonical, schema.ToCanonicalForm());
        if (fingerprint is { } expected)
        {
            Assert.Equal(unchecked((ulong)expected), schema.Fingerprint);
        }

        // The full JSON must parse back to the same canonical form.
        Assert.Equal(canonical, AvroSchema.Parse(schema.ToJson()).ToCanonicalForm());
    }

    [Fact]
    public void Crc64_EmptyInput_IsEmptyConstant()
    {
        Assert.Equal(AvroFingerprint.Empty, AvroFingerprint.Crc64(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Parse_NamespacesAndReferences_ResolveFullNames()
    {
        var schema = (AvroRecordSchema)AvroSchema.Parse("""
            {"type":"record","name":"Outer","namespace":"com.example","fields":[
              {"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"}]}},
              {"name":"again","type":"Inner"},
              {"name":"full","type":"com.example.Inner"},
              {"name":"other","type":{"type":"enum","name":"org.other.Kind","symbols":["A","B"]}},
              {"name":"nullNs","type":{"type":"fixed","name":"Id","namespace":"","size":4}},
              {"name":"ref","type":"Id"}
            ]}
            """);
        Assert.Equal("com.example.Outer", schema.FullName);
        var inner = Assert.IsType<AvroRecordSchema>(schema.Fields[0].Schema);
        Assert.Equal("com.example.Inner", inner.FullName);
        Assert.Same(inner, schema.Fields[1].Schema);
        Assert.Same(inner, schema.Fields[2].Schema);
        Assert.Equal("org.other.Kind", ((AvroNamedSchema)schema.Fields[3].Schema).FullName);
        Assert.Equal("Id", ((AvroNamedSchema)schema.Fields[4].Schema).FullName);
        Assert.Same(schema.Fields[4].Schema, schema.Fields[5].Schema);

        // The full JSON keeps the null namespace of Id explicit, so it survives a round trip.
        Assert.Equal(schema.ToCanonicalForm(), AvroSchema.Parse(schema.ToJson()).ToCanonicalForm());
    }

    [Fact]
    public void Parse_LogicalTimestampMillis_IsLongWithLogicalType()
    {
        var schema = AvroSchema.Parse("""{"type":"long","logicalType":"timestamp-millis"}""");
        Assert.Equal(AvroType.Long, schema.Type);
        Assert.Equal("timestamp-millis", schema.LogicalType);
        Assert.Equal("\"long\"", schema.ToCanonicalForm());
        Assert.Contains("timestamp-millis", schema.ToJson(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}""", "Unknown type 'Nope'")]
    [InlineData("""{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}""", "twice")]
    [InlineData("""["int",["long"]]""", "directly contain another union")]
    [InlineData("""["int","int"]""", "same type")]
    [InlineData("""{"type":"enum","name":"E","symbols":["A","A"]}""", "repeats symbol")]
    [InlineData("""{"type":"enum","name":"E","symbols":["1A"]}""", "invalid symbol")]
    [InlineData("""{"type":"record","name":"1R","fields":[]}""", "not a valid Avro name")]
    [InlineData("""{"type":"fixed","name":"F"}""", "integer 'size'")]
    [InlineData("""{"type":"array"}""", "needs 'items'")]
    [InlineData("""{"type":"record","name":"R","fields":[]""", "not valid JSON")]
    [InlineData("""[{"type":"record","name":"R","fields":[]},{"type":"record","name":"R","fields":[]}]""", "defined twice")]
    [InlineData("""{"type":"enum","name":"E","symbols":["A"],"default":"B"}""", "default 'B'")]
    public void TryParse_InvalidSchema_ReportsClearError(string json, string expected)
    {
        Assert.False(AvroSchema.TryParse(json, out var schema, out var error));
        Assert.Null(schema);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Throws<AvroSchemaException>(() => AvroSchema.Parse(json));
    }

    [Fact]
    public void Parse_RecursiveRecord_RefersToItself()
    {
        var schema = (AvroRecordSchema)AvroSchema.Parse("""{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}""");
        var union = Assert.IsType<AvroUnionSchema>(schema.Fields[1].Schema);
        Assert.Same(schema, union.Branches[1]);
        Assert.Equal(0, union.NullIndex);
    }

    [Fact]
    public void Parse_ArrayMapUnionFixedEnum_ExposeTheirParts()
    {
        var schema = (AvroRecordSchema)AvroSchema.Parse("""
            {"type":"record","name":"R","fields":[
              {"name":"a","type":{"type":"array","items":"string"}},
              {"name":"m","type":{"type":"map","values":"double"}},
              {"name":"u","type":["null","string","long"],"default":null},
              {"name":"f","type":{"type":"fixed","name":"F","size":16}},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"}}]}
            """);
        Assert.Equal(AvroType.String, ((AvroArraySchema)schema.Fields[0].Schema).Items.Type);
        Assert.Equal(AvroType.Double, ((AvroMapSchema)schema.Fields[1].Schema).Values.Type);
        Assert.Equal(3, ((AvroUnionSchema)schema.Fields[2].Schema).Branches.Count);
        Assert.Equal("null", schema.Fields[2].DefaultJson);
        Assert.Equal(16, ((AvroFixedSchema)schema.Fields[3].Schema).Size);
        Assert.Equal("A", ((AvroEnumSchema)schema.Fields[4].Schema).Default);
    }

    [Fact]
    public void ToAvroSchema_ClickMap_DerivesExpectedTypes()
    {
        var schema = Clicks.Map.ToAvroSchema("Click", "streamkit.tests");
        Assert.Equal(
            """{"name":"streamkit.tests.Click","type":"record","fields":[{"name":"ts","type":"long"},{"name":"userId","type":"long"},{"name":"pageId","type":"long"},{"name":"eventType","type":"string"},{"name":"durationMs","type":"int"},{"name":"revenue","type":"double"},{"name":"isBot","type":"boolean"},{"name":"referrer","type":"string"}]}""",
            schema.ToCanonicalForm());
        Assert.Equal("timestamp-millis", schema.Fields[0].Schema.LogicalType);
        Assert.Contains("\"logicalType\":\"timestamp-millis\"", schema.ToJson(), StringComparison.Ordinal);
    }
}
