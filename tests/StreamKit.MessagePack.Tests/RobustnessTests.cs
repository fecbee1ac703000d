using System.Buffers;
using MessagePack;

namespace StreamKit.MessagePack.Tests;

/// <summary>Bad input must come back as <see langword="false"/> with a reason, or as a status, never as an exception.</summary>
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

            Decode(codec, payload);
            AssertFramingAgreesWithLibrary(payload);
        }
    }

    [Fact]
    public void TryDecode_RandomBytes_NeverThrows()
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
            AssertFramingAgreesWithLibrary(span.ToArray());
        }
    }

    private static bool Decode(ClickCodec codec, ReadOnlySpan<byte> payload)
    {
        var click = default(Click);
        var ok = codec.Decoder.TryDecode(payload, ref click, out var error);
        Assert.Equal(ok, error is null);
        return ok;
    }

    /// <summary>Where the framing cuts a whole object, MessagePack-CSharp's own <see cref="MessagePackReader.Skip"/> ends at the same byte.</summary>
    private static void AssertFramingAgreesWithLibrary(byte[] data)
    {
        if (MessagePackFraming.TryGetObjectLength(data, out var length) != OperationStatus.Done)
        {
            return;
        }

        var reader = new MessagePackReader(data);
        reader.Skip();
        Assert.Equal(length, reader.Consumed);
    }
}
