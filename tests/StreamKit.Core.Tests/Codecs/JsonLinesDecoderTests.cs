using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Runtime;

namespace StreamKit.Core.Tests.Codecs;

public class JsonLinesDecoderTests
{
    private readonly VisitCodec _codec = new();
    private readonly JsonLinesDecoder<Visit> _decoder;

    public JsonLinesDecoderTests() => _decoder = new JsonLinesDecoder<Visit>(_codec.Map);

    [Fact]
    public void TryDecode_EveryFieldKind_FillsRecord()
    {
        var visit = Decode("""{"ts":1704067200123,"userId":42,"sessionId":9007199254740993,"amount":12.5,"bot":true,"page":"home"}""");

        Assert.Equal(1704067200123, visit.Ts);
        Assert.Equal(42, visit.UserId);
        Assert.Equal(9007199254740993, visit.SessionId);
        Assert.Equal(12.5, visit.Amount);
        Assert.True(visit.IsBot);
        Assert.Equal("home", _codec.PageName(visit.Page));
    }

    [Fact]
    public void TryDecode_ReorderedFields_FillsRecord()
    {
        var visit = Decode("""{"page":"cart","bot":false,"amount":3,"userId":-7,"ts":5}""");

        Assert.Equal(5, visit.Ts);
        Assert.Equal(-7, visit.UserId);
        Assert.Equal(3.0, visit.Amount);
        Assert.False(visit.IsBot);
        Assert.Equal("cart", _codec.PageName(visit.Page));
    }

    [Fact]
    public void TryDecode_UnknownFieldsAndNestedObjects_AreSkipped()
    {
        var visit = Decode("""
            {"x":{"a":[1,{"b":"}\"ts\":9"}],"c":null,"d":{"e":{"f":[[],{}]}}},"ts":5,"y":[[{"userId":1}]],"userId":2,"z":"\"page\":\"evil\"","page":"home","n":null,"t":true,"f":-1.5e10}
            """);

        Assert.Equal(5, visit.Ts);
        Assert.Equal(2, visit.UserId);
        Assert.Equal("home", _codec.PageName(visit.Page));
    }

    [Fact]
    public void TryDecode_EscapedStringsAndNames_AreUnescaped()
    {
        var visit = Decode("""{"ts":1,"us\u0065rId":3,"page":"caf\u00e9 \"q\" \\ \/ \ud83d\ude00\n"}""");

        Assert.Equal(3, visit.UserId);
        Assert.Equal("café \"q\" \\ / \U0001F600\n", _codec.PageName(visit.Page));
    }

    [Fact]
    public void TryDecode_NullOptionalField_LeavesDefault()
    {
        var visit = Decode("""{"ts":1,"userId":3,"page":"home","amount":null,"sessionId":null}""");

        Assert.Equal(0.0, visit.Amount);
        Assert.Equal(0, visit.SessionId);
    }

    [Fact]
    public void TryDecode_IntegralFloatForIntegerField_Accepted()
    {
        var visit = Decode("""{"ts":1.7e3,"userId":3.0,"page":"home"}""");

        Assert.Equal(1700, visit.Ts);
        Assert.Equal(3, visit.UserId);
    }

    [Theory]
    [InlineData("2024-01-01T00:00:00Z", 1704067200000)]
    [InlineData("2024-01-01T00:00:00.123Z", 1704067200123)]
    [InlineData("2024-01-01T01:00:00+01:00", 1704067200000)]
    [InlineData("2023-12-31T19:00:00-05:00", 1704067200000)]
    [InlineData("2024-01-01T00:00:00", 1704067200000)] // no offset: UTC, whatever the machine's zone
    [InlineData("2024-01-01", 1704067200000)]
    public void TryDecode_IsoTimestamp_ConvertedToEpochMilliseconds(string iso, long expected)
    {
        var visit = Decode($$"""{"ts":"{{iso}}","userId":1,"page":"home"}""");

        Assert.Equal(expected, visit.Ts);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("{")]
    [InlineData("}")]
    [InlineData("[]")]
    [InlineData("null")]
    [InlineData("42")]
    [InlineData("\"text\"")]
    [InlineData("not json")]
    [InlineData("{'ts':1,'userId':1,'page':'home'}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\",}")]
    [InlineData("{\"ts\":1 \"userId\":1,\"page\":\"home\"}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\"")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"ho")]
    [InlineData("{\"ts\":01,\"userId\":1,\"page\":\"home\"}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\"} x")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\"}{}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\"}\n{\"ts\":2,\"userId\":1,\"page\":\"home\"}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\"} // comment")]
    [InlineData("{\"ts\":NaN,\"userId\":1,\"page\":\"home\"}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"\\uD800\"}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"\\uDC00\":1,\"page\":\"home\"}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"\\x41\"}")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\",\"x\":[1,2}")]
    public void TryDecode_MalformedJson_ReturnsFalseWithReason(string json)
    {
        AssertRejected(Encoding.UTF8.GetBytes(json));
    }

    [Fact]
    public void TryDecode_InvalidUtf8InString_ReturnsFalseWithReason()
    {
        byte[] json = [.. "{\"ts\":1,\"userId\":1,\"page\":\""u8, 0xC3, 0x28, .. "\"}"u8];

        AssertRejected(json);
    }

    [Fact]
    public void TryDecode_ByteOrderMark_ReturnsFalseWithReason()
    {
        AssertRejected([0xEF, 0xBB, 0xBF, .. "{\"ts\":1,\"userId\":1,\"page\":\"home\"}"u8]);
    }

    [Fact]
    public void TryDecode_DeeplyNestedUnknownField_ReturnsFalseWithReason()
    {
        var json = "{\"ts\":1,\"userId\":1,\"page\":\"home\",\"x\":" + new string('[', 1000) + new string(']', 1000) + "}";

        AssertRejected(Encoding.UTF8.GetBytes(json));
    }

    [Theory]
    [InlineData("{\"ts\":1,\"userId\":\"7\",\"page\":\"home\"}", "userId", "string")]
    [InlineData("{\"ts\":1,\"userId\":true,\"page\":\"home\"}", "userId", "boolean")]
    [InlineData("{\"ts\":1,\"userId\":1.5,\"page\":\"home\"}", "userId", "number")]
    [InlineData("{\"ts\":1,\"userId\":{\"v\":1},\"page\":\"home\"}", "userId", "object")]
    [InlineData("{\"ts\":1,\"userId\":[1],\"page\":\"home\"}", "userId", "array")]
    [InlineData("{\"ts\":\"yesterday\",\"userId\":1,\"page\":\"home\"}", "ts", "string")]
    [InlineData("{\"ts\":true,\"userId\":1,\"page\":\"home\"}", "ts", "boolean")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":5}", "page", "number")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"\"}", "page", "string")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\",\"bot\":\"yes\"}", "bot", "string")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\",\"bot\":1}", "bot", "number")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\",\"amount\":\"1.5\"}", "amount", "string")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":\"home\",\"sessionId\":1e300}", "sessionId", "number")]
    public void TryDecode_WrongType_ReturnsFalseNamingField(string json, string field, string type)
    {
        var reason = AssertRejected(Encoding.UTF8.GetBytes(json));

        Assert.Contains($"'{field}'", reason, StringComparison.Ordinal);
        Assert.Contains(type, reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("9223372036854775808")]
    [InlineData("1e10")]
    public void TryDecode_Int32OutOfRange_ReturnsFalse(string value)
    {
        var reason = AssertRejected(Encoding.UTF8.GetBytes($$"""{"ts":1,"userId":{{value}},"page":"home"}"""));

        Assert.Contains("'userId'", reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2147483647", int.MaxValue)]
    [InlineData("-2147483648", int.MinValue)]
    public void TryDecode_Int32AtLimits_Accepted(string value, int expected)
    {
        Assert.Equal(expected, Decode($$"""{"ts":1,"userId":{{value}},"page":"home"}""").UserId);
    }

    [Theory]
    [InlineData("{\"userId\":1,\"page\":\"home\"}", "ts")]
    [InlineData("{\"ts\":1,\"page\":\"home\"}", "userId")]
    [InlineData("{\"ts\":1,\"userId\":1}", "page")]
    [InlineData("{\"ts\":1,\"userId\":1,\"page\":null}", "page")]
    [InlineData("{}", "ts")]
    public void TryDecode_MissingRequiredField_ReturnsFalseNamingIt(string json, string missing)
    {
        var reason = AssertRejected(Encoding.UTF8.GetBytes(json));

        Assert.Equal($"missing field '{missing}'", reason);
    }

    [Fact]
    public void TryDecode_OverMaxRecordBytes_ReturnsFalseWithoutParsing()
    {
        var decoder = new JsonLinesDecoder<Visit>(_codec.Map) { MaxRecordBytes = 32 };
        var json = Encoding.UTF8.GetBytes(VisitCodec.Line(1, 1, "a-rather-long-page-name"));
        var record = default(Visit);

        Assert.False(decoder.TryDecode(json, ref record, out var reason));
        Assert.Contains("exceeds", reason, StringComparison.Ordinal);
        Assert.Equal(0, _codec.Pages.Count);
    }

    [Fact]
    public void TryDecode_RandomCorruptions_NeverThrow()
    {
        var random = new Random(1234);
        var valid = Encoding.UTF8.GetBytes("""{"ts":"2024-01-01T00:00:00Z","userId":42,"sessionId":7,"amount":1.25,"bot":false,"page":"caf\u00e9","x":{"y":[1,"\"",null]}}""");
        var buffer = new byte[valid.Length + 8];
        var accepted = 0;
        for (var i = 0; i < 20_000; i++)
        {
            valid.CopyTo(buffer, 0);
            var length = valid.Length;
            switch (random.Next(4))
            {
                case 0:
                    buffer[random.Next(length)] = (byte)random.Next(256);
                    break;
                case 1:
                    length = random.Next(length);
                    break;
                case 2:
                    buffer[random.Next(length)] = "{}[]\",:\\"u8[random.Next(8)];
                    break;
                default:
                    for (var j = 0; j < 3; j++)
                    {
                        buffer[random.Next(length)] = (byte)random.Next(256);
                    }

                    break;
            }

            var record = default(Visit);
            if (_decoder.TryDecode(buffer.AsSpan(0, length), ref record, out var reason))
            {
                Assert.Null(reason);
                accepted++;
            }
            else
            {
                Assert.False(string.IsNullOrEmpty(reason));
            }
        }

        Assert.InRange(accepted, 1, 19_999);
    }

    [Fact]
    public void TryDecode_ValidRecordsAfterWarmUp_AllocateNothing()
    {
        byte[][] lines =
        [
            Encoding.UTF8.GetBytes("""{"ts":1704067200123,"userId":42,"sessionId":7,"amount":12.5,"bot":true,"page":"home"}"""),
            Encoding.UTF8.GetBytes("""{"page":"cart","userId":-7,"ts":"2024-01-01T00:00:00.5Z","unknown":{"a":[1,2,{"b":"c"}]}}"""),
            Encoding.UTF8.GetBytes("""{"ts":1,"us\u0065rId":3,"page":"caf\u00e9 \"q\"","amount":null}"""),
            Encoding.UTF8.GetBytes("""{"ts":"2024-01-01T00:00:00","userId":3.0,"page":"café"}"""),
        ];
        var record = default(Visit);
        for (var i = 0; i < 10_000; i++) // long enough for tiered compilation to settle
        {
            foreach (var line in lines)
            {
                record = default;
                Assert.True(_decoder.TryDecode(line, ref record, out _));
            }
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            foreach (var line in lines)
            {
                record = default;
                _decoder.TryDecode(line, ref record, out _);
            }
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private Visit Decode(string json)
    {
        var record = default(Visit);
        var ok = _decoder.TryDecode(Encoding.UTF8.GetBytes(json), ref record, out var reason);
        Assert.True(ok, reason);
        Assert.Null(reason);
        return record;
    }

    private string AssertRejected(byte[] json)
    {
        var record = default(Visit);
        var ok = _decoder.TryDecode(json, ref record, out var reason);
        Assert.False(ok);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        return reason!;
    }
}
