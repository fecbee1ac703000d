using MessagePack;
using StreamKit.Records;

namespace StreamKit.MessagePack.Tests;

public class MessagePackDecoderTests
{
    private readonly ClickCodec _codec = new();

    [Fact]
    public void TryDecode_EncodedRecord_RoundTrips()
    {
        var click = _codec.Sample();

        var decoded = _codec.Decode(_codec.Encode(click));

        Assert.Equal(click, decoded);
    }

    [Theory]
    [InlineData(MessagePackTimestampEncoding.Int64Millis)]
    [InlineData(MessagePackTimestampEncoding.Extension)]
    public void TryDecode_EncodedTimestamps_RoundTripEveryForm(MessagePackTimestampEncoding encoding)
    {
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = encoding });
        long[] instants = [0, 1, -1, -1_001, 1_700_000_000_000, 1_700_000_000_123, 4_294_967_295_000, 17_179_869_184_000, long.MaxValue, long.MinValue];
        foreach (var ts in instants)
        {
            var click = codec.Sample(ts);

            Assert.Equal(click, codec.Decode(codec.Encode(click)));
        }
    }

    [Fact]
    public void TryDecode_ReorderedKeysAndUnknownNestedValues_DecodesFields()
    {
        var payload = Bytes.Write(static (ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(8);
            w.Write("extra");
            w.WriteArrayHeader(3);
            w.WriteMapHeader(1);
            w.Write("k");
            w.WriteArrayHeader(2);
            w.Write([1, 2]);
            w.WriteExtension(9, [1, 2, 3]);
            w.Write(1.5);
            w.WriteNil();
            w.Write("pageId");
            w.Write(7);
            w.Write(99);
            w.Write("an integer key is skipped");
            w.Write("eventType");
            w.Write("view");
            w.Write("userId");
            w.Write(-5);
            w.Write("ts");
            w.WriteTimestamp(1_700_000_000, 123_456_789);
            w.Write("mobile");
            w.Write(true);
            w.Write("revenue");
            w.Write(3);
        });

        var click = _codec.Decode(payload);

        Assert.Equal(1_700_000_000_123, click.Ts);
        Assert.Equal(-5, click.UserId);
        Assert.Equal(7, click.PageId);
        Assert.Equal(EventKind.View, click.EventType);
        Assert.True(click.Mobile);
        Assert.Equal(3.0, click.Revenue);
        Assert.Equal(0, click.DurationMs);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(127L)]
    [InlineData(-32L)]
    [InlineData(-33L)]
    [InlineData(255L)]
    [InlineData(-128L)]
    [InlineData(65535L)]
    [InlineData(-32768L)]
    [InlineData((long)int.MaxValue)]
    [InlineData((long)int.MinValue)]
    public void TryDecode_Int32FieldAtEveryWidth_Decodes(long value)
    {
        var click = _codec.Decode(Required(userId: false, extra: ("userId", (ref MessagePackWriter w) => w.Write(value))));

        Assert.Equal(value, click.UserId);
    }

    [Theory]
    [InlineData((long)int.MaxValue + 1)]
    [InlineData((long)int.MinValue - 1)]
    [InlineData(long.MaxValue)]
    public void TryDecode_Int32FieldOutOfRange_NamesField(long value)
    {
        var error = _codec.DecodeError(Required(userId: false, extra: ("userId", (ref MessagePackWriter w) => w.Write(value))));

        Assert.Equal($"field 'userId' (Int32) cannot hold integer {value}", error);
    }

    [Fact]
    public void TryDecode_UInt64AboveLongMax_NamesField()
    {
        var error = _codec.DecodeError(Required(extra: ("sessionId", static (ref MessagePackWriter w) => w.Write(ulong.MaxValue))));

        Assert.Equal("field 'sessionId' (Int64) cannot hold integer 18446744073709551615", error);
    }

    [Theory]
    [InlineData(long.MinValue)]
    [InlineData(long.MaxValue)]
    [InlineData(-1L)]
    public void TryDecode_Int64Field_Decodes(long value)
    {
        var click = _codec.Decode(Required(extra: ("sessionId", (ref MessagePackWriter w) => w.Write(value))));

        Assert.Equal(value, click.SessionId);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-0.25)]
    [InlineData(double.MaxValue)]
    [InlineData(double.NegativeInfinity)]
    public void TryDecode_DoubleField_DecodesFloat64AndFloat32(double value)
    {
        Assert.Equal(value, _codec.Decode(Required(extra: ("revenue", (ref MessagePackWriter w) => w.Write(value)))).Revenue);
        Assert.Equal((float)value, _codec.Decode(Required(extra: ("revenue", (ref MessagePackWriter w) => w.Write((float)value)))).Revenue);
    }

    [Fact]
    public void TryDecode_IntegralFloatInIntField_Decodes()
    {
        Assert.Equal(350, _codec.Decode(Required(extra: ("durationMs", static (ref MessagePackWriter w) => w.Write(350.0)))).DurationMs);
    }

    [Fact]
    public void TryDecode_FractionalFloatInIntField_NamesField()
    {
        var error = _codec.DecodeError(Required(extra: ("durationMs", static (ref MessagePackWriter w) => w.Write(3.5))));

        Assert.Equal("field 'durationMs' (Int32) cannot hold float 3.5", error);
    }

    [Fact]
    public void TryDecode_TimestampExtInIntField_NamesField()
    {
        var error = _codec.DecodeError(Required(extra: ("durationMs", static (ref MessagePackWriter w) => w.WriteTimestamp(1, 0))));

        Assert.Equal("field 'durationMs' (Int32) cannot hold a timestamp", error);
    }

    [Fact]
    public void TryDecode_OtherExtension_NamesField()
    {
        var error = _codec.DecodeError(Required(extra: ("ts", static (ref MessagePackWriter w) => w.WriteExtension(4, [1, 2, 3, 4])), ts: false));

        Assert.Equal("field 'ts' (TimestampMillis) cannot hold an extension of type 4", error);
    }

    [Theory]
    [InlineData("userId", "field 'userId' (Int32) cannot hold a string")]
    [InlineData("mobile", "field 'mobile' (Boolean) cannot hold a string")]
    [InlineData("revenue", "field 'revenue' (Double) cannot hold a string")]
    [InlineData("eventType", "field 'eventType' rejected its value")]
    public void TryDecode_WrongType_NamesField(string name, string expected)
    {
        var payload = Required(userId: name != "userId", eventType: name != "eventType", extra: (name, static (ref MessagePackWriter w) => w.Write("oops")));

        Assert.Equal(expected, _codec.DecodeError(payload));
    }

    [Theory]
    [InlineData(MessagePackType.Array, "field 'pageId' (Int32) cannot hold an array")]
    [InlineData(MessagePackType.Map, "field 'pageId' (Int32) cannot hold a map")]
    [InlineData(MessagePackType.Binary, "field 'pageId' (Int32) cannot hold a binary")]
    [InlineData(MessagePackType.Boolean, "field 'pageId' (Int32) cannot hold a boolean")]
    public void TryDecode_ContainerForScalarField_NamesField(MessagePackType type, string expected)
    {
        var payload = Required(pageId: false, extra: ("pageId", (ref MessagePackWriter w) =>
        {
            switch (type)
            {
                case MessagePackType.Array:
                    w.WriteArrayHeader(0);
                    break;
                case MessagePackType.Map:
                    w.WriteMapHeader(0);
                    break;
                case MessagePackType.Binary:
                    w.Write([1]);
                    break;
                default:
                    w.Write(true);
                    break;
            }
        }));

        Assert.Equal(expected, _codec.DecodeError(payload));
    }

    [Fact]
    public void TryDecode_InvalidUtf8_NamesField()
    {
        var error = _codec.DecodeError(Required(extra: ("country", static (ref MessagePackWriter w) => w.WriteString([0xc3, 0x28]))));

        Assert.Equal("field 'country' is not valid UTF-8", error);
    }

    [Fact]
    public void TryDecode_NilForRequiredField_ReportsMissing()
    {
        var error = _codec.DecodeError(Required(pageId: false, extra: ("pageId", static (ref MessagePackWriter w) => w.WriteNil())));

        Assert.Equal("missing field 'pageId'", error);
    }

    [Fact]
    public void TryDecode_NilForOptionalField_LeavesDefault()
    {
        var click = _codec.Decode(Required(extra: ("durationMs", static (ref MessagePackWriter w) => w.WriteNil())));

        Assert.Equal(0, click.DurationMs);
    }

    [Theory]
    [InlineData("ts")]
    [InlineData("userId")]
    [InlineData("pageId")]
    [InlineData("eventType")]
    public void TryDecode_MissingRequiredField_NamesIt(string name)
    {
        var payload = Required(ts: name != "ts", userId: name != "userId", pageId: name != "pageId", eventType: name != "eventType");

        Assert.Equal($"missing field '{name}'", _codec.DecodeError(payload));
    }

    [Fact]
    public void TryDecode_DuplicateField_Rejects()
    {
        var error = _codec.DecodeError(Required(extra: ("pageId", static (ref MessagePackWriter w) => w.Write(8))));

        Assert.Equal("duplicate field 'pageId'", error);
    }

    [Fact]
    public void TryDecode_TrailingBytes_Rejects()
    {
        var payload = Required().Concat(Bytes.Hex("c0c0")).ToArray();

        Assert.Equal("2 trailing bytes after the map", _codec.DecodeError(payload));
    }

    [Theory]
    [InlineData("", "empty payload")]
    [InlineData("91c0", "payload is an array, not a map")]
    [InlineData("2a", "payload is an integer, not a map")]
    [InlineData("c1", "truncated or malformed MessagePack at byte 0")]
    [InlineData("de00", "truncated or malformed MessagePack at byte 0")]
    [InlineData("81a3616263", "truncated or malformed MessagePack at byte 5")]
    [InlineData("81a27473", "field 'ts': truncated or malformed value at byte 4")]
    public void TryDecode_NotAWholeMap_Rejects(string hex, string expected)
    {
        Assert.Equal(expected, _codec.DecodeError(Bytes.Hex(hex)));
    }

    [Fact]
    public void TryDecode_OverMaxPayload_Rejects()
    {
        var codec = new ClickCodec(decoderOptions: new() { MaxPayloadBytes = 32 });
        var payload = codec.Encode(codec.Sample());

        Assert.Equal($"payload of {payload.Length} bytes is over the 32-byte limit", codec.DecodeError(payload));
    }

    [Fact]
    public void Constructor_NonPositiveMaxPayload_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new MessagePackDecoder<Click>(_codec.Map, new() { MaxPayloadBytes = 0 }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    [InlineData(32)]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(65_535)]
    [InlineData(65_536)]
    public void TryDecode_StringFieldOfEveryLength_Decodes(int length)
    {
        var country = new string('q', length);
        var payload = Required(extra: ("country", (ref MessagePackWriter w) => w.Write(country)));

        var click = _codec.Decode(payload);

        Assert.Equal(country, _codec.Countries.GetString(click.CountryId));
    }

    [Fact]
    public void TryDecode_FieldWithoutSetter_IsSkipped()
    {
        var map = new RecordMap<Click>()
            .Int32("pageId", static (ref Click c, int v) => c.PageId = v)
            .Int32("userId", null, static (in Click c) => c.UserId);
        var decoder = new MessagePackDecoder<Click>(map);
        var payload = Bytes.Write(static (ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("userId");
            w.Write("not even an int");
            w.Write("pageId");
            w.Write(3);
        });
        var click = default(Click);

        Assert.True(decoder.TryDecode(payload, ref click, out var error), error);
        Assert.Equal(3, click.PageId);
    }

    [Fact]
    public void TryDecode_UnknownValueNestedToMaxDepth_IsSkipped()
    {
        var payload = Required(extra: ("unknown", static (ref MessagePackWriter w) => w.WriteRaw(Bytes.Nested(MessagePackFraming.MaxDepth))));

        Assert.Equal(1_700_000_000_000, _codec.Decode(payload).Ts);
    }

    [Fact]
    public void TryDecode_UnknownValueNestedPastMaxDepth_RejectsWithoutRecursingThroughIt()
    {
        var payload = Required(ts: false, extra: ("unknown", static (ref MessagePackWriter w) => w.WriteRaw(Bytes.Nested(100_000))));

        Assert.Equal("truncated or malformed MessagePack at byte 41", _codec.DecodeError(payload));
    }

    [Theory]
    [InlineData("dd ffffffff 91 91")]
    [InlineData("df ffffffff 91 91")]
    [InlineData("df 7fffffff 91 91")]
    [InlineData("db ffffffff 91 91")]
    public void TryDecode_UnknownValueDeclaringHugeCount_Rejects(string hex)
    {
        var payload = Required(ts: false, extra: ("unknown", (ref MessagePackWriter w) => w.WriteRaw(Bytes.Hex(hex))));

        Assert.Equal("truncated or malformed MessagePack at byte 41", _codec.DecodeError(payload));
    }

    [Theory]
    [InlineData("d6ff6553f100", 1_700_000_000_000L)]
    [InlineData("d7ff1d5353006553f100", 1_700_000_000_123L)]
    [InlineData("c70cff1dcd6500fffffffffffffffe", -1_500L)]
    [InlineData("c70cff3b9ac9ffffffffffffffffff", -1L)]
    [InlineData("c70cff000000000020c49ba5e353f7", 9_223_372_036_854_775_000L)]
    public void TryDecode_TimestampExtensionInEveryForm_FloorsToMilliseconds(string hex, long expected)
    {
        var click = _codec.Decode(Required(ts: false, extra: ("ts", (ref MessagePackWriter w) => w.WriteRaw(Bytes.Hex(hex)))));

        Assert.Equal(expected, click.Ts);
    }

    [Theory]
    [InlineData("c70cff000000007fffffffffffffff")]
    [InlineData("c70cff3b9ac9ff7fffffffffffffff")]
    [InlineData("c70cff000000008000000000000000")]
    [InlineData("d7ffee6b280000000000")]
    [InlineData("c70cff3b9aca000000000000000000")]
    [InlineData("d5ff0000")]
    [InlineData("c705ff0000000000")]
    public void TryDecode_TimestampOutOfRangeOrMalformed_NamesField(string hex)
    {
        var error = _codec.DecodeError(Required(ts: false, extra: ("ts", (ref MessagePackWriter w) => w.WriteRaw(Bytes.Hex(hex)))));

        Assert.Equal("field 'ts' holds a malformed or out-of-range timestamp", error);
    }

    /// <summary>A map holding the required fields (each can be left out) plus an extra entry written last.</summary>
    internal static byte[] Required(
        bool ts = true,
        bool userId = true,
        bool pageId = true,
        bool eventType = true,
        (string Name, Writing Write)? extra = null)
    {
        return Bytes.Write((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader((ts ? 1 : 0) + (userId ? 1 : 0) + (pageId ? 1 : 0) + (eventType ? 1 : 0) + (extra is null ? 0 : 1));
            if (ts)
            {
                w.Write("ts");
                w.Write(1_700_000_000_000);
            }

            if (userId)
            {
                w.Write("userId");
                w.Write(1);
            }

            if (pageId)
            {
                w.Write("pageId");
                w.Write(2);
            }

            if (eventType)
            {
                w.Write("eventType");
                w.Write("click");
            }

            if (extra is { } entry)
            {
                w.Write(entry.Name);
                entry.Write(ref w);
            }
        });
    }
}
