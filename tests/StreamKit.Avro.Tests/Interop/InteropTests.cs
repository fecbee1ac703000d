using System.Globalization;
using System.Text.Json;
using StreamKit.Avro.Container;
using Avro;

namespace StreamKit.Avro.Tests.Interop;

/// <summary>StreamKit against Apache Avro's Python implementation and C tools (Debian python3-avro, avro-bin).</summary>
[Trait("Category", "Interop")]
public class InteropTests
{
    /// <summary>Differs from StreamKit's reader: reordered fields, an extra field, int for the long userId, a [null, string] referrer.</summary>
    private const string PythonWriterSchema = """
        {"type":"record","name":"Click","namespace":"py.clicks","fields":[
          {"name":"userId","type":"int"},
          {"name":"eventType","type":"string"},
          {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"extra","type":{"type":"array","items":"string"}},
          {"name":"pageId","type":"long"},
          {"name":"referrer","type":["null","string"],"default":null},
          {"name":"durationMs","type":"int"},
          {"name":"revenue","type":"double"},
          {"name":"isBot","type":"boolean"}]}
        """;

    private static string Describe(long ts, long user, long page, string evt, long dur, double rev, bool bot, string? referrer) =>
        string.Create(CultureInfo.InvariantCulture, $"{ts}|{user}|{page}|{evt}|{dur}|{rev:R}|{bot}|{referrer ?? "-"}");

    private static string Describe(Click c) =>
        Describe(c.Ts, c.UserId, c.PageId, Clicks.Text(c.EventType), c.DurationMs, c.Revenue, c.IsBot, c.Referrer == 0 ? null : Clicks.Text(c.Referrer - 1));

    private static string Describe(JsonElement r) => Describe(
        r.GetProperty("ts").GetInt64(), r.GetProperty("userId").GetInt64(), r.GetProperty("pageId").GetInt64(), r.GetProperty("eventType").GetString()!,
        r.GetProperty("durationMs").GetInt64(), r.GetProperty("revenue").GetDouble(), r.GetProperty("isBot").GetBoolean(),
        r.TryGetProperty("referrer", out var referrer) && referrer.ValueKind == JsonValueKind.String ? referrer.GetString() : null);

    [Theory]
    [InlineData("null")]
    [InlineData("deflate")]
    public void PythonWrites_DifferentWriterSchema_StreamKitReadsEqualContent(string codec)
    {
        var random = new Random(11);
        var records = new List<Dictionary<string, object?>>();
        var expected = new List<string>();
        for (var i = 0; i < 2_000; i++)
        {
            var ts = 1_700_000_000_000L + (i * 1009L);
            var user = random.Next(int.MinValue, int.MaxValue);
            var page = random.NextInt64(-1L << 40, 1L << 40);
            var evt = Clicks.EventTypes[random.Next(Clicks.EventTypes.Length)] + (i % 7 == 0 ? " ✓" : "");
            var dur = random.Next(-1000, 1_000_000);
            var rev = Math.Round(random.NextDouble() * 1000, 3);
            var bot = random.Next(5) == 0;
            string? referrer = (i % 3) switch { 0 => null, 1 => "", _ => "https://r.example/" + i };
            records.Add(new Dictionary<string, object?>
            {
                ["userId"] = user, ["eventType"] = evt, ["ts"] = ts, ["extra"] = new List<object?> { "x", i.ToString(CultureInfo.InvariantCulture) },
                ["pageId"] = page, ["referrer"] = referrer, ["durationMs"] = dur, ["revenue"] = rev, ["isBot"] = bot,
            });
            expected.Add(Describe(ts, user, page, evt, dur, rev, bot, referrer));
        }

        var path = TestPaths.TempFile($".{codec}.avro");
        PythonAvro.WriteContainer(PythonWriterSchema, codec, records, path);

        var errors = new List<string>();
        var read = ContainerTests.ReadAll(File.ReadAllBytes(path), errors);
        Assert.Empty(errors);
        Assert.Equal(expected, read.Select(r => Describe(r.Click)));
        Assert.True(read[^1].Position.BlockIndex >= 1, "python's 16 KB sync interval should give several blocks");

        using var reader = new AvroContainerReader(File.OpenRead(path));
        Assert.Equal(codec == "deflate" ? AvroCodec.Deflate : AvroCodec.Null, reader.Codec);
    }

    [Theory]
    [InlineData(AvroCodec.Null)]
    [InlineData(AvroCodec.Deflate)]
    public void StreamKitWrites_PythonReadsEqualContent(AvroCodec codec)
    {
        var clicks = Clicks.Generate(3_000, seed: 5);
        var path = TestPaths.TempFile(".avro");
        File.WriteAllBytes(path, ContainerTests.WriteFile(clicks, codec, blockSize: 8 * 1024));

        var (pyCodec, records) = PythonAvro.ReadContainer(path);
        Assert.Equal(codec == AvroCodec.Deflate ? "deflate" : "null", pyCodec);
        Assert.Equal(clicks.Select(Describe), records.Select(Describe));
    }

    [Theory]
    [InlineData(AvroCodec.Null)]
    [InlineData(AvroCodec.Deflate)]
    public void StreamKitWrites_AvrocatReadsEveryRecord(AvroCodec codec)
    {
        PythonAvro.EnsureInstalled();
        if (!File.Exists("/usr/bin/avrocat"))
        {
            Assert.Fail("/usr/bin/avrocat not found: run eng/install-interop.sh (installs avro-bin).");
        }

        var clicks = Clicks.Generate(500, seed: 9);
        var path = TestPaths.TempFile(".avro");
        File.WriteAllBytes(path, ContainerTests.WriteFile(clicks, codec, blockSize: 4 * 1024));
        var (code, stdout, stderr) = PythonAvro.Run("/usr/bin/avrocat", path);
        Assert.True(code == 0, "avrocat failed: " + stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(clicks.Length, lines.Length);
        for (var i = 0; i < clicks.Length; i++)
        {
            using var doc = JsonDocument.Parse(lines[i]);
            var r = doc.RootElement;
            Assert.Equal(clicks[i].UserId, r.GetProperty("userId").GetInt64());
            Assert.Equal(clicks[i].Ts, r.GetProperty("ts").GetInt64());
            Assert.Equal(Clicks.Text(clicks[i].EventType), r.GetProperty("eventType").GetString());
            Assert.Equal(clicks[i].Revenue, r.GetProperty("revenue").GetDouble(), 9);
        }
    }

    [Fact]
    public void PythonWrites_GoldenNullFile_BytesReadByBoth()
    {
        // StreamKit's golden container must be readable by python with the same content.
        var (_, records) = PythonAvro.ReadContainer(TestPaths.Golden("clicks-null.avro"));
        Assert.Equal(GoldenTests.GoldenClicks().Select(Describe), records.Select(Describe));
    }

    [Fact]
    public void CanonicalForm_StreamKitSchemas_MatchPython()
    {
        // Python 1.11.1 keeps {"type":"long"} for a logical-typed long in canonical form, where the specification's
        // [PRIMITIVES] and [STRIP] rules (and Java, whose fingerprints the golden test data carries) give "long";
        // so the schemas compared here carry no logical types.
        var withoutLogical = PythonWriterSchema.Replace("""{"type":"long","logicalType":"timestamp-millis"}""", "\"long\"", StringComparison.Ordinal);
        foreach (var json in new[] { withoutLogical, Clicks.Map.ToAvroSchema("Click", "streamkit.tests").ToString().Replace("""{"type":"long","logicalType":"timestamp-millis"}""", "\"long\"", StringComparison.Ordinal), """{"type":"record","name":"N","namespace":"a.b","fields":[{"name":"n","type":["null","N",{"type":"enum","name":"E","symbols":["X"]},{"type":"fixed","name":"c.F","size":2},{"type":"map","values":"E"}]}]}""" })
        {
            var path = TestPaths.TempFile(".avsc");
            File.WriteAllText(path, json);
            Assert.Equal(PythonAvro.RunScript("canonical", path).Trim(), SchemaNormalization.ToParsingForm(Schema.Parse(json)));
        }
    }
}
