using System.Text.Json;
using Avro;

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
        // Apache.Avro parses, prints and fingerprints; this pins the single-object fingerprint StreamKit takes from it.
        var schema = Schema.Parse(input);
        Assert.Equal(canonical, SchemaNormalization.ToParsingForm(schema));
        if (fingerprint is { } expected)
        {
            Assert.Equal(unchecked((ulong)expected), AvroSchemas.Fingerprint(schema));
        }

        // The full JSON (what container headers store) must parse back to the same canonical form.
        Assert.Equal(canonical, SchemaNormalization.ToParsingForm(Schema.Parse(schema.ToString())));
    }

    [Theory]
    [InlineData("""{"type":"record","name":"R","fields":[{"name":"a","type":"Nope"}]}""")]
    [InlineData("""{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}""")]
    [InlineData("""["int","int"]""")]
    [InlineData("""{"type":"enum","name":"E","symbols":["A"],"default":"B"}""")]
    [InlineData("""{"type":"fixed","name":"F"}""")]
    [InlineData("""{"type":"array"}""")]
    [InlineData("""{"type":"record","name":"R","fields":[]""")]
    [InlineData("""{"type":5}""")]
    [InlineData("""{"type":"record","name":"R","fields":5}""")]
    [InlineData("""{"type":"record","name":"R","fields":[{"name":"a"}]}""")]
    [InlineData("""[{"type":"record","name":"R","fields":[]},{"type":"record","name":"R","fields":[]}]""")]
    [InlineData("")]
    [InlineData("""{"type":"recosd","name":"R","fields":[]}""")]
    [InlineData("""{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"lonx"}}]}""")]
    [InlineData("""["int",{"type":"recosd","name":"R","fields":[]}]""")]
    public void TryParse_InvalidSchema_ReportsErrorWithoutThrowing(string json)
    {
        Assert.False(AvroSchemas.TryParse(System.Text.Encoding.UTF8.GetBytes(json), out var schema, out var error));
        Assert.Null(schema);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryParse_InvalidUtf8_ReportsError()
    {
        Assert.False(AvroSchemas.TryParse([0x22, 0xff, 0x22], out _, out var error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ToAvroSchema_ClickMap_DerivesExpectedTypes()
    {
        var schema = Clicks.Map.ToAvroSchema("Click", "streamkit.tests");
        Assert.Equal(
            """{"name":"streamkit.tests.Click","type":"record","fields":[{"name":"ts","type":"long"},{"name":"userId","type":"long"},{"name":"pageId","type":"long"},{"name":"eventType","type":"string"},{"name":"durationMs","type":"int"},{"name":"revenue","type":"double"},{"name":"isBot","type":"boolean"},{"name":"referrer","type":"string"}]}""",
            SchemaNormalization.ToParsingForm(schema));
        Assert.Equal("timestamp-millis", Assert.IsType<LogicalSchema>(schema.Fields[0].Schema).LogicalTypeName);
        Assert.Contains("\"logicalType\":\"timestamp-millis\"", schema.ToString(), StringComparison.Ordinal);
    }
}
