using System.Buffers;
using StreamKit.Records;

namespace StreamKit.MessagePack.Tests;

/// <summary>Byte and enum fields of a <see cref="RecordMap{T}"/> through MessagePack.</summary>
public sealed class ByteEnumFieldTests
{
    private static readonly RecordMap<Reading> s_map = new RecordMap<Reading>()
        .Byte("level", static (ref Reading r, byte v) => r.Level = v, static (in Reading r) => r.Level)
        .Enum("kind", static (ref Reading r, EventKind v) => r.Kind = v, static (in Reading r) => r.Kind);

    [Theory]
    [InlineData((byte)0, EventKind.View)]
    [InlineData((byte)255, EventKind.Purchase)]
    [InlineData((byte)7, (EventKind)9)]
    public void EncodeDecode_ByteAndEnum_RoundTrip(byte level, EventKind kind)
    {
        var output = new ArrayBufferWriter<byte>();
        new MessagePackEncoder<Reading>(s_map).Encode(new Reading { Level = level, Kind = kind }, output);

        var decoded = default(Reading);
        Assert.True(new MessagePackDecoder<Reading>(s_map).TryDecode(output.WrittenSpan, ref decoded, out var error), error);
        Assert.Equal(new Reading { Level = level, Kind = kind }, decoded);
    }

    [Fact]
    public void Encode_Enum_IsItsNameAsAString()
    {
        var output = new ArrayBufferWriter<byte>();
        new MessagePackEncoder<Reading>(s_map).Encode(new Reading { Level = 1, Kind = EventKind.Click }, output);

        // fixmap(2) "level" 1 "kind" "Click"
        Assert.Equal([0x82, 0xA5, .. "level"u8, 0x01, 0xA4, .. "kind"u8, 0xA5, .. "Click"u8], output.WrittenSpan.ToArray());
    }

    [Fact]
    public void Decode_ByteOutOfRange_IsRejected()
    {
        byte[] payload = [0x82, 0xA5, .. "level"u8, 0xCD, 0x01, 0x00, 0xA4, .. "kind"u8, 0xA4, .. "View"u8];
        var decoded = default(Reading);

        Assert.False(new MessagePackDecoder<Reading>(s_map).TryDecode(payload, ref decoded, out var error));
        Assert.Contains("level", error, StringComparison.Ordinal);
    }

    private struct Reading
    {
        public byte Level;
        public EventKind Kind;
    }
}
