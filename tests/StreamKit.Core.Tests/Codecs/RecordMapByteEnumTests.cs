using System.Buffers;
using System.Text;
using System.Text.Json;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.Core.Tests.Codecs;

/// <summary>Byte and enum fields of a <see cref="RecordMap{T}"/> through JSON lines.</summary>
public sealed class RecordMapByteEnumTests
{
    public enum Kind
    {
        PageView,
        Click,
        Purchase,
    }

    [Fact]
    public void JsonLines_ByteAndEnum_RoundTrip()
    {
        var map = Reading.Map();
        var encoded = Encode(map, new Reading { Level = 255, Kind = Kind.Purchase });

        Assert.Equal("""{"level":255,"kind":"Purchase"}""" + "\n", encoded);
        Assert.Equal(new Reading { Level = 255, Kind = Kind.Purchase }, Decode(map, encoded));
    }

    [Fact]
    public void Enum_NamingPolicy_WritesAndReadsRenamedMembers()
    {
        var map = Reading.Map(JsonNamingPolicy.CamelCase);
        var encoded = Encode(map, new Reading { Level = 1, Kind = Kind.PageView });

        Assert.Equal("""{"level":1,"kind":"pageView"}""" + "\n", encoded);
        Assert.Equal(Kind.PageView, Decode(map, encoded).Kind);
    }

    [Theory]
    [InlineData("click", Kind.Click)]
    [InlineData("CLICK", Kind.Click)]
    [InlineData("2", Kind.Purchase)]
    public void Enum_NameInAnyCaseOrNumber_IsAccepted(string wire, Kind expected) =>
        Assert.Equal(expected, Decode(Reading.Map(), $$"""{"level":0,"kind":"{{wire}}"}""").Kind);

    [Fact]
    public void Enum_UndeclaredValue_RoundTripsAsItsNumber()
    {
        var map = Reading.Map();
        var encoded = Encode(map, new Reading { Kind = (Kind)7 });

        Assert.Equal("""{"level":0,"kind":"7"}""" + "\n", encoded);
        Assert.Equal((Kind)7, Decode(map, encoded).Kind);
    }

    [Theory]
    [InlineData("""{"level":256,"kind":"Click"}""", "level")]
    [InlineData("""{"level":-1,"kind":"Click"}""", "level")]
    [InlineData("""{"level":1,"kind":"Refund"}""", "kind")]
    [InlineData("""{"level":1,"kind":3}""", "kind")]
    public void Decode_ByteOutOfRangeOrUnknownEnum_IsRejectedNamingTheField(string json, string field)
    {
        var decoder = new JsonLinesDecoder<Reading>(Reading.Map());
        var record = default(Reading);

        Assert.False(decoder.TryDecode(Encoding.UTF8.GetBytes(json), ref record, out var error));
        Assert.Contains($"'{field}'", error, StringComparison.Ordinal);
    }

    private static string Encode(RecordMap<Reading> map, Reading reading)
    {
        var output = new ArrayBufferWriter<byte>();
        new JsonLinesEncoder<Reading>(map).Encode(reading, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    private static Reading Decode(RecordMap<Reading> map, string json)
    {
        var record = default(Reading);
        Assert.True(new JsonLinesDecoder<Reading>(map).TryDecode(Encoding.UTF8.GetBytes(json.TrimEnd('\n')), ref record, out var error), error);
        return record;
    }

    public record struct Reading(byte Level, Kind Kind)
    {
        public static RecordMap<Reading> Map(JsonNamingPolicy? naming = null) => new RecordMap<Reading>()
            .Byte("level", static (ref Reading r, byte v) => r.Level = v, static (in Reading r) => r.Level)
            .Enum("kind", static (ref Reading r, Kind v) => r.Kind = v, static (in Reading r) => r.Kind, naming: naming);
    }
}
