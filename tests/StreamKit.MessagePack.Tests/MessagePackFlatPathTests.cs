using System.Buffers.Binary;
using System.Text;
using StreamKit.Records;

namespace StreamKit.MessagePack.Tests;

/// <summary>
/// The decoder's flat path (a scanner for maps of string keys and scalar values) against MessagePack-CSharp's reader
/// alone: the same verdict, reason and record for every payload, and each setter run once per key whichever path
/// reads it.
/// </summary>
public class MessagePackFlatPathTests
{
    private static readonly string[] s_names = ["ts", "userId", "pageId", "eventType", "durationMs", "revenue", "mobile", "country", "sessionId", "extra", "t", "tss", ""];

    private static readonly byte[][] s_values =
    [
        [0x00], [0x7f], [0xff], [0xe0], [0xcc, 0xff], [0xcd, 0x12, 0x34], [0xce, 0xff, 0xff, 0xff, 0xff], [0xcf, 0, 0, 0, 0, 0, 0, 0, 5],
        [0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [0xd0, 0x80], [0xd1, 0x80, 0x00], [0xd2, 0x80, 0, 0, 0], [0xd2, 0x7f, 0xff, 0xff, 0xff],
        [0xd3, 0, 0, 1, 0x8b, 0xcf, 0xe5, 0x68, 0x00], [0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0], [0xd3, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
        [0xca, 0x40, 0x60, 0, 0], [0xca, 0x7f, 0xc0, 0, 0], [0xcb, 0x40, 0x0c, 0, 0, 0, 0, 0, 0], [0xcb, 0x40, 0x08, 0, 0, 0, 0, 0, 0],
        [0xc0], [0xc2], [0xc3], [0xc1],
        [0xa4, .. "view"u8], [0xa8, .. "purchase"u8], [0xa2, .. "NZ"u8], [0xa0], [0xa2, 0xc3, 0x28], [0xd9, 0x04, .. "view"u8], [0xda, 0x00, 0x02, .. "NZ"u8],
        [0xdb, 0, 0, 0, 2, .. "DE"u8], [0xa1, .. "7"u8], [0xc4, 0x01, 0x07], [0xd6, 0xff, 0x65, 0x53, 0xf1, 0x00], [0xd4, 0x05, 0x01],
        [0x90], [0x80], [0x92, 0x01, 0xa1, .. "x"u8], [0x81, 0xa1, .. "a"u8, 0x01], [0xdc, 0x00, 0x01, 0x00], [0x91, 0x91, 0x90],
        [0xa5, .. "ab"u8], [0xd9], [0xcd, 0x01], [0xcb, 0x00],
    ];

    [Fact]
    public void TryDecode_RandomPayloads_SameVerdictReasonAndRecordAsTheReader()
    {
        var random = new Random(20261202);
        var codec = new ClickCodec();
        var accepted = 0;
        var rejected = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var payload = Payload(random);
            var flat = default(Click);
            var read = default(Click);

            var flatOk = codec.Decoder.TryDecode(payload, ref flat, out var flatError);
            var readOk = codec.Decoder.TryDecodeWithReader(payload, ref read, out var readError);

            var hex = Bytes.ToHex(payload);
            Assert.True(flatOk == readOk, $"{hex}: flat {flatOk} ({flatError}), reader {readOk} ({readError})");
            Assert.True(flatError == readError, $"{hex}: flat '{flatError}', reader '{readError}'");
            Assert.True(flat.Equals(read), $"{hex}: the records differ");
            accepted += flatOk ? 1 : 0;
            rejected += flatOk ? 0 : 1;
        }

        // Both verdicts must be common, or the comparison proves little.
        Assert.InRange(accepted, 5_000, 45_000);
        Assert.InRange(rejected, 5_000, 45_000);
    }

    [Theory]
    [InlineData("83 a2 7473 01 a6 75736572496400 a6 706167654964 02")]
    [InlineData("84 a2 7473 01 a6 757365724964 02 a6 706167654964 03 a9 6576656e7454797065 a4 76696577")]
    [InlineData("85 a2 7473 01 a5 6578747261 91 01 a6 757365724964 02 a6 706167654964 03 a9 6576656e7454797065 a4 76696577")]
    [InlineData("84 a2 7473 d6 ff 6553f100 a6 757365724964 02 a6 706167654964 03 a9 6576656e7454797065 a4 76696577")]
    [InlineData("85 a2 7473 01 a6 757365724964 02 a6 706167654964 03 a9 6576656e7454797065 a4 76696577 a2 7473 cf 0000000000000005")]
    [InlineData("84 a2 7473 01 a6 757365724964 02 a6 706167654964 03 a9 6576656e7454797065 da 0004 76696577")]
    [InlineData("84 a2 7473 01 a6 757365724964 02 a6 706167654964 03 01 a4 76696577")]
    [InlineData("84 a2 7473 01 a6 757365724964 02 a6 706167654964 03 a9 6576656e7454797065 a4 76696577 c0")]
    [InlineData("de 0004 a2 7473 01 a6 757365724964 02 a6 706167654964 03 a9 6576656e7454797065 a4 7669")]
    public void TryDecode_AnyPath_RunsEachSetterOncePerKey(string hex)
    {
        var calls = new Dictionary<string, int>();
        var expected = new Dictionary<string, int>();
        var decoder = new MessagePackDecoder<Click>(CountingMap(calls));
        var reference = new MessagePackDecoder<Click>(CountingMap(expected));
        var payload = Bytes.Hex(hex);
        var record = default(Click);
        var referenceRecord = default(Click);

        var ok = decoder.TryDecode(payload, ref record, out var error);
        var referenceOk = reference.TryDecodeWithReader(payload, ref referenceRecord, out var referenceError);

        Assert.Equal(referenceOk, ok);
        Assert.Equal(referenceError, error);
        Assert.Equal(referenceRecord, record);
        Assert.Equal(expected, calls);
        Assert.NotEmpty(calls);
    }

    [Fact]
    public void TryDecode_KeyOrderChanges_FindsEveryField()
    {
        var codec = new ClickCodec();
        var click = codec.Sample();
        var encoded = codec.Encode(click);
        var reordered = Bytes.Hex("89 a6 6d6f62696c65 c3 a2 7473 d3 0000018bcfe5687b a6 757365724964 2a a6 706167654964 07 a9 6576656e7454797065 a4 76696577 a7 726576656e7565 cb 4004000000000000 aa 6475726174696f6e4d73 cd 0100 a7 636f756e747279 a2 4e5a a9 73657373696f6e4964 d3 0000000000000063");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(click, codec.Decode(encoded));
            var decoded = codec.Decode(reordered);
            Assert.Equal((1_700_000_000_123L, 42, 7, true, 2.5, 256, 99L), (decoded.Ts, decoded.UserId, decoded.PageId, decoded.Mobile, decoded.Revenue, decoded.DurationMs, decoded.SessionId));
        }
    }

    /// <summary>A map of random keys and values, with random header forms, truncation, trailing bytes and damaged bytes.</summary>
    private static byte[] Payload(Random random)
    {
        var pairs = new List<byte[]>();
        var fields = s_names.AsSpan(0, 9).ToArray();
        random.Shuffle(fields);
        var count = random.Next(4) == 0 ? random.Next(0, 12) : 9;
        for (var i = 0; i < count; i++)
        {
            var name = random.Next(25) == 0 ? s_names[random.Next(s_names.Length)] : fields[i % fields.Length];
            pairs.Add([.. Key(random, name), .. Value(random, name)]);
        }

        var declared = random.Next(12) == 0 ? pairs.Count + random.Next(-2, 3) : pairs.Count;
        byte[] header = random.Next(10) switch
        {
            0 => [0xde, (byte)(declared >> 8), (byte)declared],
            1 => [0xdf, 0, 0, (byte)(declared >> 8), (byte)declared],
            2 => [0xdf, 0x80, 0, 0, 0],
            3 when random.Next(4) == 0 => [0x93],
            _ => [(byte)(0x80 | (declared & 0x0f))],
        };

        byte[] payload = [.. header, .. pairs.SelectMany(p => p)];
        switch (random.Next(10))
        {
            case 0:
                return payload.AsSpan(0, random.Next(1, payload.Length + 1)).ToArray();
            case 1:
                return [.. payload, .. s_values[random.Next(s_values.Length)]];
            case 2:
                payload[random.Next(payload.Length)] = (byte)random.Next(256);
                return payload;
            default:
                return payload;
        }
    }

    private static byte[] Key(Random random, string name)
    {
        var utf8 = Encoding.UTF8.GetBytes(name);
        return random.Next(40) switch
        {
            0 => [0xd9, (byte)utf8.Length, .. utf8],
            1 => [0xda, 0, (byte)utf8.Length, .. utf8],
            2 => [0x07],
            _ => [(byte)(0xa0 | utf8.Length), .. utf8],
        };
    }

    /// <summary>A value that fits the field most of the time, otherwise any of <see cref="s_values"/>.</summary>
    private static byte[] Value(Random random, string name)
    {
        if (random.Next(25) == 0)
        {
            return s_values[random.Next(s_values.Length)];
        }

        var buffer = new byte[9];
        switch (name)
        {
            case "ts" or "sessionId":
                // MessagePack-CSharp writes a positive long as uint64.
                var value = random.NextInt64();
                buffer[0] = random.Next(2) == 0 ? (byte)0xcf : (byte)0xd3;
                BinaryPrimitives.WriteInt64BigEndian(buffer.AsSpan(1), value);
                return buffer;
            case "userId" or "pageId" or "durationMs":
                buffer[0] = 0xd2;
                BinaryPrimitives.WriteInt32BigEndian(buffer.AsSpan(1), random.Next());
                return buffer[..5];
            case "eventType":
                return [0xa4, .. "view"u8];
            case "revenue":
                buffer[0] = 0xcb;
                BinaryPrimitives.WriteDoubleBigEndian(buffer.AsSpan(1), random.Next(-1000, 1000) / 8.0);
                return buffer;
            case "mobile":
                return [random.Next(2) == 0 ? (byte)0xc2 : (byte)0xc3];
            case "country":
                return [0xa2, (byte)random.Next('A', 'Z' + 1), (byte)random.Next('A', 'Z' + 1)];
            default:
                return [(byte)random.Next(128)];
        }
    }

    private static RecordMap<Click> CountingMap(Dictionary<string, int> calls)
    {
        void Count(string name) => calls[name] = calls.GetValueOrDefault(name) + 1;
        return new RecordMap<Click>()
            .TimestampMillis("ts", (ref Click c, long v) => { Count("ts"); c.Ts = v; }, null)
            .Int32("userId", (ref Click c, int v) => { Count("userId"); c.UserId = v; }, null)
            .Int32("pageId", (ref Click c, int v) => { Count("pageId"); c.PageId = v; }, null)
            .String("eventType", (ref Click c, ReadOnlySpan<byte> v) => { Count("eventType"); return v.Length > 0; }, null);
    }
}
