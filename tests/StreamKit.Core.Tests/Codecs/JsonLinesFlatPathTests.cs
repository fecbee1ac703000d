using System.Text;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.Core.Tests.Codecs;

/// <summary>
/// The decoder's flat path (a scanner for objects of scalars) against <see cref="System.Text.Json.Utf8JsonReader"/>
/// alone: the same verdict, reason and record for every line, and each setter run once per property whichever path
/// reads it.
/// </summary>
public class JsonLinesFlatPathTests
{
    private static readonly string[] s_names = ["ts", "userId", "sessionId", "amount", "bot", "page", "x", "pag", "pagee", "us\\u0065rId", "caf\u00e9", "p\"", ""];

    private static readonly string[] s_values =
    [
        "0", "-0", "7", "-7", "42", "1704067200123", "2147483647", "-2147483648", "2147483648", "123456789012345678",
        "999999999999999999", "-999999999999999999", "1234567890123456789", "9223372036854775807", "-9223372036854775808",
        "9223372036854775808", "99999999999999999999999", "01", "-", "-a", "1.5", "3.0", "-0.0", "1e3", "1E+2", "2e-1",
        "1.", ".5", "1e", "1e+", "1.5e300", "1e400", "0x10", "+1", "NaN", "Infinity",
        "\"home\"", "\"\"", "\"caf\u00e9\"", "\"a\\\"b\"", "\"\\u0068ome\"", "\"\\ud800\"", "\"tab\there\"", "\"2024-01-01T00:00:00Z\"",
        "\"2024-01-01\"", "\"yes\"", "\"7\"", "\"unterminated",
        "true", "false", "null", "tru", "nul", "falsey", "True",
        "{}", "{\"a\":1}", "[]", "[1,\"x\",{\"b\":null}]", "{\"a\":", "[1,2",
    ];

    private static readonly string[] s_gaps = ["", "", "", " ", "  ", "\t", "\r\n", "\n"];

    [Fact]
    public void TryDecode_RandomLines_SameVerdictReasonAndRecordAsTheReader()
    {
        var random = new Random(20261202);
        var codec = new VisitCodec();
        var decoder = new JsonLinesDecoder<Visit>(codec.Map);
        var accepted = 0;
        var rejected = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var line = Line(random);
            var flat = default(Visit);
            var read = default(Visit);

            var flatOk = decoder.TryDecode(line, ref flat, out var flatError);
            var readOk = decoder.TryDecodeWithReader(line, ref read, out var readError);

            var text = Encoding.UTF8.GetString(line);
            Assert.True(flatOk == readOk, $"{text}: flat {flatOk} ({flatError}), reader {readOk} ({readError})");
            Assert.True(flatError == readError, $"{text}: flat '{flatError}', reader '{readError}'");
            Assert.True(flat.Equals(read), $"{text}: the records differ");
            accepted += flatOk ? 1 : 0;
            rejected += flatOk ? 0 : 1;
        }

        // Both verdicts must be common, or the comparison proves little.
        Assert.InRange(accepted, 5_000, 45_000);
        Assert.InRange(rejected, 5_000, 45_000);
    }

    [Theory]
    [InlineData("""{"ts":1,"userId":2,"page":"home"}""")]
    [InlineData("""{"ts":1,"userId":2,"page":"home","x":{"nested":[1,2]}}""")]
    [InlineData("""{"ts":1,"x":[1],"userId":2,"page":"home"}""")]
    [InlineData("""{"ts":1.5e3,"userId":2,"page":"h\u006fme"}""")]
    [InlineData("""{"ts":"2024-01-01T00:00:00Z","userId":2,"page":"home","ts":5}""")]
    [InlineData("""{"ts":1,"userId":2,"page":"home"} """)]
    [InlineData("""{"ts":1,"userId":2,"page":"home","x":01}""")]
    [InlineData("""{"ts":1,"userId":2,"page":"home",}""")]
    [InlineData("""{"ts":1,"userId":2,"page":"home"}{}""")]
    [InlineData("""{"ts":1,"userId":2 "page":"home"}""")]
    public void TryDecode_AnyPath_RunsEachSetterOncePerProperty(string json)
    {
        var calls = new Dictionary<string, int>();
        var expected = new Dictionary<string, int>();
        var decoder = new JsonLinesDecoder<Visit>(CountingMap(calls));
        var reference = new JsonLinesDecoder<Visit>(CountingMap(expected));
        var bytes = Encoding.UTF8.GetBytes(json);
        var record = default(Visit);
        var referenceRecord = default(Visit);

        var ok = decoder.TryDecode(bytes, ref record, out var error);
        var referenceOk = reference.TryDecodeWithReader(bytes, ref referenceRecord, out var referenceError);

        Assert.Equal(referenceOk, ok);
        Assert.Equal(referenceError, error);
        Assert.Equal(expected, calls);
    }

    [Fact]
    public void TryDecode_PropertiesInChangingOrder_EachFoundByName()
    {
        var codec = new VisitCodec();
        var decoder = new JsonLinesDecoder<Visit>(codec.Map);
        string[] lines =
        [
            """{"ts":1,"userId":2,"page":"a"}""",
            """{"page":"b","ts":3,"userId":4}""",
            """{"x":0,"userId":6,"ts":5,"page":"c","amount":1}""",
            """{"ts":7,"userId":8,"page":"d"}""",
        ];
        (long Ts, int UserId, string Page)[] expected = [(1, 2, "a"), (3, 4, "b"), (5, 6, "c"), (7, 8, "d")];

        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < lines.Length; i++)
            {
                var visit = default(Visit);
                Assert.True(decoder.TryDecode(Encoding.UTF8.GetBytes(lines[i]), ref visit, out var error), error);
                Assert.Equal(expected[i], (visit.Ts, visit.UserId, codec.PageName(visit.Page)));
            }
        }
    }

    [Fact]
    public void TryDecode_GetterOnlyField_IsSkippedNotStored()
    {
        var map = new RecordMap<Visit>()
            .Int64("ts", static (ref Visit v, long x) => v.Ts = x)
            .Int32("userId", set: null, get: static (in Visit v) => v.UserId);
        var decoder = new JsonLinesDecoder<Visit>(map);
        var visit = default(Visit);

        Assert.True(decoder.TryDecode("""{"userId":"not a number","ts":3}"""u8, ref visit, out var error), error);
        Assert.Equal(3, visit.Ts);
        Assert.Equal(0, visit.UserId);
    }

    private static RecordMap<Visit> CountingMap(Dictionary<string, int> calls) => new RecordMap<Visit>()
        .TimestampMillis("ts", (ref Visit v, long x) =>
        {
            v.Ts = x;
            Count(calls, "ts");
        })
        .Int32("userId", (ref Visit v, int x) =>
        {
            v.UserId = x;
            Count(calls, "userId");
        })
        .String("page", (ref Visit v, ReadOnlySpan<byte> s) =>
        {
            Count(calls, "page");
            return true;
        });

    private static void Count(Dictionary<string, int> calls, string name) => calls[name] = calls.GetValueOrDefault(name) + 1;

    /// <summary>A line from random names, values and whitespace, mostly well-formed, sometimes broken at its edges.</summary>
    private static byte[] Line(Random random)
    {
        var text = new StringBuilder();
        text.Append(Gap(random)).Append('{');
        // Mostly the required fields with fitting values, so that many lines are accepted, among others in any order.
        var properties = new List<(string Name, string Value)>();
        foreach (var required in (string[])["ts", "userId", "page"])
        {
            if (random.Next(12) != 0)
            {
                properties.Add((required, random.Next(10) == 0 ? s_values[random.Next(s_values.Length)] : Fitting(required, random)));
            }
        }

        for (var extra = random.Next(4); extra > 0; extra--)
        {
            var name = s_names[random.Next(s_names.Length)];
            properties.Add((name, random.Next(3) == 0 ? s_values[random.Next(s_values.Length)] : Fitting(name, random)));
        }

        var first = true;
        foreach (var (name, value) in properties.OrderBy(_ => random.Next()))
        {
            if (!first)
            {
                text.Append(random.Next(60) == 0 ? " " : ",");
            }

            first = false;
            text.Append(Gap(random)).Append('"').Append(name).Append('"').Append(Gap(random)).Append(':')
                .Append(Gap(random)).Append(value).Append(Gap(random));
        }

        text.Append(random.Next(40) switch
        {
            0 => ",}",
            1 => "",
            2 => "} x",
            3 => "}}",
            _ => "}",
        });
        text.Append(Gap(random));
        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (random.Next(40) == 0 && bytes.Length > 0)
        {
            bytes[random.Next(bytes.Length)] = (byte)random.Next(0x80, 0x100); // invalid UTF-8, most of the time
        }

        return bytes;
    }

    private static string Fitting(string name, Random random) => name switch
    {
        "ts" or "sessionId" => random.NextInt64(-1_000_000_000_000_000, long.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "userId" => random.Next(int.MinValue, int.MaxValue).ToString(System.Globalization.CultureInfo.InvariantCulture),
        "amount" => (random.Next(-100_000, 100_000) / 8.0).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        "bot" => random.Next(2) == 0 ? "true" : "false",
        _ => "\"p" + random.Next(50).ToString(System.Globalization.CultureInfo.InvariantCulture) + "\"",
    };

    private static string Gap(Random random) => s_gaps[random.Next(s_gaps.Length)];
}
