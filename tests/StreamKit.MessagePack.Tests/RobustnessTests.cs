using System.Buffers;

namespace StreamKit.MessagePack.Tests;

/// <summary>Bad input must come back as <see langword="false"/> or a status, never as an exception.</summary>
public class RobustnessTests
{
    public static TheoryData<string> Payloads()
    {
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = MessagePackTimestampEncoding.Extension });
        var data = new TheoryData<string>
        {
            Bytes.ToHex(codec.Encode(codec.Sample())),
            Bytes.ToHex(codec.Encode(codec.Sample(ts: -1_001))),
            Bytes.ToHex(codec.Encode(codec.Sample(ts: long.MaxValue, country: new string('c', 300)))),
            Bytes.ToHex(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "click-reordered-unknown.msgpack"))),
            Bytes.ToHex(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "click-wide-encodings.msgpack"))),
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void TryDecode_TruncatedAtEveryOffset_ReturnsFalse(string hex)
    {
        var codec = new ClickCodec();
        var payload = Bytes.Hex(hex);
        Assert.True(Decode(codec, payload));

        for (var cut = 0; cut < payload.Length; cut++)
        {
            var prefix = payload.AsSpan(0, cut);
            Assert.False(Decode(codec, prefix));
            Assert.Equal(OperationStatus.NeedMoreData, MessagePackFraming.TryGetObjectLength(prefix, out _));
            var reader = new MessagePackReader(prefix);
            Assert.False(reader.TrySkip());
            Assert.Equal(0, reader.Consumed);
        }
    }

    [Theory]
    [MemberData(nameof(Payloads))]
    public void TryDecode_RandomByteFlips_NeverThrows(string hex)
    {
        var codec = new ClickCodec();
        var original = Bytes.Hex(hex);
        var random = new Random(hex.Length);
        var payload = new byte[original.Length];
        for (var iteration = 0; iteration < 20_000; iteration++)
        {
            original.CopyTo(payload, 0);
            var flips = 1 + random.Next(4);
            for (var f = 0; f < flips; f++)
            {
                var at = random.Next(payload.Length);
                payload[at] = random.Next(3) == 0 ? (byte)random.Next(256) : (byte)(payload[at] ^ (1 << random.Next(8)));
            }

            // Whatever the outcome, the three entry points must agree with themselves and not throw.
            Decode(codec, payload);
            var status = MessagePackFraming.TryGetObjectLength(payload, out var length);
            var reader = new MessagePackReader(payload);
            var skipped = reader.TrySkip();
            Assert.Equal(status == OperationStatus.Done, skipped);
            if (skipped)
            {
                Assert.Equal(length, reader.Consumed);
            }

            ReadEverything(payload);
        }
    }

    [Fact]
    public void TryRead_RandomBytes_NeverThrows()
    {
        var random = new Random(99);
        var codec = new ClickCodec();
        var payload = new byte[64];
        for (var iteration = 0; iteration < 50_000; iteration++)
        {
            var span = payload.AsSpan(0, random.Next(payload.Length + 1));
            random.NextBytes(span);
            Decode(codec, span);
            MessagePackFraming.TryGetObjectLength(span, 16, out _);
            ReadEverything(span);
        }
    }

    private static bool Decode(ClickCodec codec, ReadOnlySpan<byte> payload)
    {
        var click = default(Click);
        var ok = codec.Decoder.TryDecode(payload, ref click, out var error);
        Assert.Equal(ok, error is null);
        return ok;
    }

    /// <summary>Walks the data with every typed read, skipping what none of them takes.</summary>
    private static void ReadEverything(ReadOnlySpan<byte> data)
    {
        var reader = new MessagePackReader(data);
        while (!reader.End)
        {
            var before = reader.Consumed;
            _ = reader.TryReadNil() || reader.TryReadBoolean(out _) || reader.TryReadInt64(out _) || reader.TryReadUInt64(out _)
                || reader.TryReadDouble(out _) || reader.TryReadString(out _) || reader.TryReadBinary(out _)
                || reader.TryReadArrayHeader(out _) || reader.TryReadMapHeader(out _) || reader.TryReadTimestampMillis(out _)
                || reader.TryReadTimestamp(out _, out _) || reader.TryReadExtension(out _, out _) || reader.TrySkip();
            if (reader.Consumed == before)
            {
                return;
            }
        }
    }
}
