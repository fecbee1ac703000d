using StreamKit.Avro.Resolution;
using Avro;
using static StreamKit.Avro.Tests.TestDatumWriter;

namespace StreamKit.Avro.Tests;

public class ResolutionTests
{
    private const string ClickFields = """
        {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
        {"name":"userId","type":"long"},
        {"name":"pageId","type":"long"},
        {"name":"eventType","type":"string"},
        {"name":"durationMs","type":"int"},
        {"name":"revenue","type":"double"},
        {"name":"isBot","type":"boolean"}
        """;

    private static Schema Record(string fields) => Schema.Parse($$"""{"type":"record","name":"Click","fields":[{{fields}}]}""");

    private static Dictionary<string, object?> Values(params (string Name, object? Value)[] values)
    {
        var d = new Dictionary<string, object?>
        {
            ["ts"] = 1_700_000_000_123L,
            ["userId"] = 42L,
            ["pageId"] = 7L,
            ["eventType"] = "click",
            ["durationMs"] = 250,
            ["revenue"] = 9.5,
            ["isBot"] = true,
        };
        foreach (var (name, value) in values)
        {
            d[name] = value;
        }

        return d;
    }

    private static Click Decode(Schema writer, Dictionary<string, object?> values, RecordSchema? readerSchema = null)
    {
        var decoder = new AvroDecoder<Click>(writer, Clicks.Map, readerSchema);
        var click = default(Click);
        Assert.True(decoder.TryDecode(Write(writer, values), ref click, out var error), error);
        Assert.Null(error);
        return click;
    }

    private static string DecodeError(Schema writer, Dictionary<string, object?> values)
    {
        var decoder = new AvroDecoder<Click>(writer, Clicks.Map);
        var click = default(Click);
        Assert.False(decoder.TryDecode(Write(writer, values), ref click, out var error));
        return error!;
    }

    private static void AssertBase(Click click)
    {
        Assert.Equal(1_700_000_000_123L, click.Ts);
        Assert.Equal(42L, click.UserId);
        Assert.Equal(7L, click.PageId);
        Assert.Equal("click", Clicks.Text(click.EventType));
        Assert.Equal(250, click.DurationMs);
        Assert.Equal(9.5, click.Revenue);
        Assert.True(click.IsBot);
    }

    [Fact]
    public void Decode_SameSchema_DecodesEveryField()
    {
        var click = Decode(Record(ClickFields + """,{"name":"referrer","type":"string"}"""), Values(("referrer", "https://a.example")));
        AssertBase(click);
        Assert.Equal("https://a.example", Clicks.Text(click.Referrer - 1));
    }

    [Fact]
    public void Decode_EncoderOutput_RoundTrips()
    {
        var encoder = new AvroEncoder<Click>(Clicks.Map, "Click");
        var decoder = new AvroDecoder<Click>(encoder.Schema, Clicks.Map);
        foreach (var click in Clicks.Generate(500))
        {
            var decoded = default(Click);
            Assert.True(decoder.TryDecode(Clicks.Encode(encoder, click), ref decoded, out var error), error);
            Assert.Equal(click.ToString(), decoded.ToString());
        }
    }

    [Fact]
    public void Decode_ReorderedFields_MatchesByName()
    {
        var writer = Record("""
            {"name":"isBot","type":"boolean"},{"name":"revenue","type":"double"},{"name":"eventType","type":"string"},
            {"name":"durationMs","type":"int"},{"name":"pageId","type":"long"},{"name":"userId","type":"long"},
            {"name":"ts","type":"long"}
            """);
        AssertBase(Decode(writer, Values()));
    }

    [Fact]
    public void Decode_WriterFieldsUnknownToReader_AreSkippedWhateverTheirType()
    {
        var writer = Record("""
            {"name":"x1","type":{"type":"record","name":"Nested","fields":[{"name":"a","type":"int"},{"name":"b","type":["null",{"type":"array","items":"string"}]}]}},
            """ + ClickFields + ",\n" + """
            {"name":"x2","type":{"type":"array","items":{"type":"map","values":["null","double"]}}},
            {"name":"x3","type":{"type":"fixed","name":"Sixteen","size":16}},
            {"name":"x4","type":{"type":"enum","name":"Color","symbols":["RED","GREEN"]}},
            {"name":"x5","type":["null","bytes","float"]},
            {"name":"x6","type":{"type":"map","values":"Nested"}}
            """);
        var nested = new Dictionary<string, object?> { ["a"] = 5, ["b"] = new List<object?> { "p", "", "q" } };
        var values = Values(
            ("x1", nested),
            ("x2", new List<object?> { new Dictionary<string, object?> { ["k"] = 1.5, ["n"] = null }, new Dictionary<string, object?>() }),
            ("x3", new byte[16]),
            ("x4", new EnumSymbol("GREEN")),
            ("x5", 2.5f),
            ("x6", new Dictionary<string, object?> { ["m"] = new Dictionary<string, object?> { ["a"] = -1, ["b"] = null } }));
        AssertBase(Decode(writer, values));
    }

    [Fact]
    public void Decode_IntWhereReaderWantsLongOrDouble_Promotes()
    {
        var writer = Record(ClickFields.Replace("""{"name":"userId","type":"long"}""", """{"name":"userId","type":"int"}""", StringComparison.Ordinal)
            .Replace("""{"name":"revenue","type":"double"}""", """{"name":"revenue","type":"int"}""", StringComparison.Ordinal)
            .Replace("""{"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}}""", """{"name":"ts","type":"long"}""", StringComparison.Ordinal));
        var click = Decode(writer, Values(("userId", -42), ("revenue", 9), ("ts", 1_700_000_000_123L)));
        Assert.Equal(-42L, click.UserId);
        Assert.Equal(9.0, click.Revenue);
        Assert.Equal(1_700_000_000_123L, click.Ts);
    }

    [Theory]
    [InlineData("long", 12345678901L, 12345678901.0)]
    [InlineData("float", 2.5f, 2.5)]
    [InlineData("double", 2.25, 2.25)]
    public void Decode_NumberIntoDouble_Promotes(string writerType, object value, double expected)
    {
        var writer = Record(ClickFields.Replace("""{"name":"revenue","type":"double"}""", $$"""{"name":"revenue","type":"{{writerType}}"}""", StringComparison.Ordinal));
        Assert.Equal(expected, Decode(writer, Values(("revenue", value))).Revenue);
    }

    [Fact]
    public void Decode_LongIntoInt32Field_ChecksEachValue()
    {
        var writer = Record(ClickFields.Replace("""{"name":"durationMs","type":"int"}""", """{"name":"durationMs","type":"long"}""", StringComparison.Ordinal));

        Assert.Equal(1234, Decode(writer, Values(("durationMs", 1234L))).DurationMs);
        Assert.Contains("durationMs", DecodeError(writer, Values(("durationMs", 1L << 40))), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("userId", "double", "Int64")]
    [InlineData("isBot", "int", "Boolean")]
    [InlineData("eventType", "long", "String")]
    [InlineData("revenue", "string", "Double")]
    [InlineData("pageId", """{"type":"array","items":"long"}""", "Int64")]
    public void Compile_NoPromotion_FailsNamingFieldAndTypes(string field, string writerType, string kind)
    {
        var fields = ClickFields.Split(",\n");
        for (var i = 0; i < fields.Length; i++)
        {
            if (fields[i].Contains($"\"{field}\"", StringComparison.Ordinal))
            {
                fields[i] = $$"""{"name":"{{field}}","type":{{(writerType.StartsWith('{') ? writerType : "\"" + writerType + "\"")}}}""";
            }
        }

        var writer = Record(string.Join(",\n", fields));
        var ex = Assert.Throws<AvroTypeException>(() => new AvroDecoder<Click>(writer, Clicks.Map));
        Assert.Contains($"'{field}'", ex.Message, StringComparison.Ordinal);
        Assert.Contains(kind, ex.Message, StringComparison.Ordinal);
        Assert.False(ResolutionProgram.TryCompile(writer, Clicks.Map, null, out _, out var error));
        Assert.Equal(ex.Message, error);
    }

    [Fact]
    public void Compile_RequiredReaderFieldMissingFromWriter_FailsClearly()
    {
        var writer = Record(ClickFields.Replace("""{"name":"pageId","type":"long"},""", "", StringComparison.Ordinal));
        var ex = Assert.Throws<AvroTypeException>(() => new AvroDecoder<Click>(writer, Clicks.Map));
        Assert.Contains("no field 'pageId'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_OptionalReaderFieldMissingFromWriter_KeepsDefault()
    {
        var click = Decode(Record(ClickFields), Values());
        AssertBase(click);
        Assert.Equal(0, click.Referrer);
    }

    [Fact]
    public void Decode_ReaderSchemaDefaults_FillMissingFields()
    {
        var writer = Record("""{"name":"ts","type":"long"},{"name":"userId","type":"long"}""");
        var reader = (RecordSchema)Schema.Parse("""
            {"type":"record","name":"Click","fields":[
              {"name":"pageId","type":"long","default":-1},
              {"name":"eventType","type":"string","default":"view"},
              {"name":"durationMs","type":"int","default":30},
              {"name":"revenue","type":"double","default":0.5},
              {"name":"isBot","type":"boolean","default":false},
              {"name":"referrer","type":["null","string"],"default":null}]}
            """);
        var click = Decode(writer, Values(), reader);
        Assert.Equal(-1, click.PageId);
        Assert.Equal("view", Clicks.Text(click.EventType));
        Assert.Equal(30, click.DurationMs);
        Assert.Equal(0.5, click.Revenue);
        Assert.False(click.IsBot);
        Assert.Equal(0, click.Referrer);
    }

    [Fact]
    public void Compile_DefaultOfWrongType_Fails()
    {
        var writer = Record("""{"name":"ts","type":"long"},{"name":"userId","type":"long"},{"name":"eventType","type":"string"},{"name":"durationMs","type":"int"},{"name":"revenue","type":"double"},{"name":"isBot","type":"boolean"}""");
        var reader = (RecordSchema)Schema.Parse("""{"type":"record","name":"Click","fields":[{"name":"pageId","type":"long","default":"x"}]}""");
        var ex = Assert.Throws<AvroTypeException>(() => new AvroDecoder<Click>(writer, Clicks.Map, reader));
        Assert.Contains("pageId", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NullStringUnion_NullIsAbsentAndStringIsSet()
    {
        var writer = Record(ClickFields + """,{"name":"referrer","type":["null","string"]}""");
        Assert.Equal(0, Decode(writer, Values(("referrer", null))).Referrer);
        var click = Decode(writer, Values(("referrer", "https://b.example")));
        Assert.Equal("https://b.example", Clicks.Text(click.Referrer - 1));
    }

    [Fact]
    public void Decode_NullBranchForRequiredField_FailsRecordNamingField()
    {
        var writer = Record(ClickFields.Replace("""{"name":"userId","type":"long"}""", """{"name":"userId","type":["null","long"]}""", StringComparison.Ordinal));
        Assert.Equal(42L, Decode(writer, Values()).UserId);
        Assert.Contains("'userId'", DecodeError(writer, Values(("userId", null))), StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnionBranchReaderCannotHold_FailsOnlyThatRecord()
    {
        var writer = Record(ClickFields.Replace("""{"name":"eventType","type":"string"}""", """{"name":"eventType","type":["string","long",{"type":"enum","name":"Kind","symbols":["view","click"]}]}""", StringComparison.Ordinal));
        Assert.Equal("click", Clicks.Text(Decode(writer, Values()).EventType));
        Assert.Equal("view", Clicks.Text(Decode(writer, Values(("eventType", new EnumSymbol("view")))).EventType));
        var error = DecodeError(writer, Values(("eventType", 5L)));
        Assert.Contains("eventType", error, StringComparison.Ordinal);
        Assert.Contains("long", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_UnionWithNoUsableBranch_Fails()
    {
        var writer = Record(ClickFields.Replace("""{"name":"userId","type":"long"}""", """{"name":"userId","type":["string","boolean"]}""", StringComparison.Ordinal));
        var ex = Assert.Throws<AvroTypeException>(() => new AvroDecoder<Click>(writer, Clicks.Map));
        Assert.Contains("no branch", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_UnionIndexOutOfRange_FailsWithOffset()
    {
        var writer = Record("""{"name":"userId","type":["null","long"]}""");
        var map = new StreamKit.Records.RecordMap<Click>().Int64("userId", static (ref Click c, long v) => c.UserId = v, required: false);
        var decoder = new AvroDecoder<Click>(writer, map);
        var click = default(Click);
        Assert.False(decoder.TryDecode([0x04, 0x02], ref click, out var error));
        Assert.Contains("union index 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_NestedUnionsInSkippedFields_SkipCorrectly()
    {
        var writer = Record("""
            {"name":"deep","type":["null",{"type":"record","name":"L1","fields":[
                {"name":"u","type":["null","int",{"type":"array","items":["null",{"type":"map","values":["string","null"]}]}]}]}]},
            """ + ClickFields);
        var deep = new Dictionary<string, object?>
        {
            ["u"] = new List<object?> { null, new Dictionary<string, object?> { ["a"] = "x", ["b"] = null }, null },
        };
        AssertBase(Decode(writer, Values(("deep", deep))));
        AssertBase(Decode(writer, Values(("deep", null))));
    }

    [Fact]
    public void Decode_WriterEnum_DeliversSymbolAsString()
    {
        var writer = Record(ClickFields.Replace("""{"name":"eventType","type":"string"}""", """{"name":"eventType","type":{"type":"enum","name":"EventType","symbols":["view","click","purchase"]}}""", StringComparison.Ordinal));
        Assert.Equal("purchase", Clicks.Text(Decode(writer, Values(("eventType", new EnumSymbol("purchase")))).EventType));
    }

    [Fact]
    public void Decode_WriterEnumSymbolUnknownToReaderEnum_UsesReaderDefaultOrFails()
    {
        var writer = Record(ClickFields.Replace("""{"name":"eventType","type":"string"}""", """{"name":"eventType","type":{"type":"enum","name":"EventType","symbols":["view","click","refund"]}}""", StringComparison.Ordinal));
        var withDefault = (RecordSchema)Schema.Parse("""{"type":"record","name":"Click","fields":[{"name":"eventType","type":{"type":"enum","name":"EventType","symbols":["view","click","other"],"default":"other"}}]}""");
        Assert.Equal("other", Clicks.Text(Decode(writer, Values(("eventType", new EnumSymbol("refund"))), withDefault).EventType));
        Assert.Equal("view", Clicks.Text(Decode(writer, Values(("eventType", new EnumSymbol("view"))), withDefault).EventType));

        var noDefault = (RecordSchema)Schema.Parse("""{"type":"record","name":"Click","fields":[{"name":"eventType","type":{"type":"enum","name":"EventType","symbols":["view","click"]}}]}""");
        var decoder = new AvroDecoder<Click>(writer, Clicks.Map, noDefault);
        var click = default(Click);
        Assert.False(decoder.TryDecode(Write(writer, Values(("eventType", new EnumSymbol("refund")))), ref click, out var error));
        Assert.Contains("no match in the reader's enum", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_BytesWhereReaderWantsString_Accepted()
    {
        var writer = Record(ClickFields.Replace("""{"name":"eventType","type":"string"}""", """{"name":"eventType","type":"bytes"}""", StringComparison.Ordinal));
        Assert.Equal("click", Clicks.Text(Decode(writer, Values(("eventType", "click"u8.ToArray()))).EventType));
    }

    [Fact]
    public void Decode_ReaderAlias_MatchesRenamedWriterField()
    {
        var writer = Record(ClickFields.Replace("""{"name":"userId","type":"long"}""", """{"name":"uid","type":"long"}""", StringComparison.Ordinal));
        var reader = (RecordSchema)Schema.Parse("""{"type":"record","name":"Click","fields":[{"name":"userId","type":"long","aliases":["uid"]}]}""");
        var values = Values(("uid", 77L));
        values.Remove("userId");
        Assert.Equal(77L, Decode(writer, values, reader).UserId);
        Assert.Throws<AvroTypeException>(() => new AvroDecoder<Click>(writer, Clicks.Map));
    }

    [Fact]
    public void Compile_WriterNotRecord_Fails()
    {
        Assert.False(ResolutionProgram.TryCompile(Schema.Parse("\"long\""), Clicks.Map, null, out _, out var error));
        Assert.Contains("must be a record", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_WriterNullTypeForRequiredField_Fails()
    {
        var writer = Record(ClickFields.Replace("""{"name":"pageId","type":"long"}""", """{"name":"pageId","type":"null"}""", StringComparison.Ordinal));
        Assert.Throws<AvroTypeException>(() => new AvroDecoder<Click>(writer, Clicks.Map));
        var optional = Record(ClickFields + """,{"name":"referrer","type":"null"}""");
        Assert.Equal(0, Decode(optional, Values()).Referrer);
    }

    [Fact]
    public void Decode_TrailingBytes_Fails()
    {
        var writer = Record(ClickFields);
        var decoder = new AvroDecoder<Click>(writer, Clicks.Map);
        var payload = Write(writer, Values()).Concat(new byte[] { 0 }).ToArray();
        var click = default(Click);
        Assert.False(decoder.TryDecode(payload, ref click, out var error));
        Assert.Contains("trailing", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Compile_ProgramIsFlat_OneStepPerWriterField()
    {
        var writer = Record(ClickFields + """,{"name":"extra","type":["null","string"]},{"name":"referrer","type":["null","string"]}""");
        var program = ResolutionProgram<Click>.Compile(writer, Clicks.Map);
        Assert.Equal(9, program.StepCount);
        Assert.Same(writer, program.WriterSchema);
    }
}
