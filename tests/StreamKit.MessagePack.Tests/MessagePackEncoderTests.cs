using System.Buffers;
using StreamKit.Records;

namespace StreamKit.MessagePack.Tests;

public class MessagePackEncoderTests
{
    [Fact]
    public void Encode_Sample_WritesMapOfAllFieldsInOrder()
    {
        var codec = new ClickCodec();

        var bytes = codec.Encode(codec.Sample());

        var reader = new MessagePackReader(bytes);
        Assert.True(reader.TryReadMapHeader(out var count));
        Assert.Equal(codec.Map.Fields.Count, count);
        foreach (var field in codec.Map.Fields)
        {
            Assert.True(reader.TryReadString(out var key));
            Assert.True(key.SequenceEqual(field.Utf8Name.Span));
            Assert.True(reader.TrySkip());
        }

        Assert.True(reader.End);
    }

    [Fact]
    public void Encode_DefaultOptions_WritesTimestampAsInteger()
    {
        var codec = new ClickCodec();

        var reader = ValueOf(codec.Encode(codec.Sample()), "ts"u8);

        Assert.True(reader.TryReadInt64(out var ts));
        Assert.Equal(1_700_000_000_123, ts);
    }

    [Fact]
    public void Encode_ExtensionOption_WritesTimestampExtension()
    {
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = MessagePackTimestampEncoding.Extension });

        var reader = ValueOf(codec.Encode(codec.Sample()), "ts"u8);

        Assert.Equal("d7ff1d5353006553f100", Bytes.ToHex(reader.UnreadSpan[..10]));
        Assert.True(reader.TryReadTimestampMillis(out var ts));
        Assert.Equal(1_700_000_000_123, ts);
    }

    [Fact]
    public void Encode_FieldsWithoutGetters_AreLeftOut()
    {
        var map = new RecordMap<Click>()
            .Int32("pageId", static (ref Click c, int v) => c.PageId = v)
            .Int32("userId", null, static (in Click c) => c.UserId);
        var encoder = new MessagePackEncoder<Click>(map);
        var buffer = new ArrayBufferWriter<byte>();

        encoder.Encode(new Click { UserId = 300 }, buffer);

        Assert.Equal("81a6" + Bytes.ToHex("userId"u8) + "cd012c", Bytes.ToHex(buffer.WrittenSpan));
    }

    [Fact]
    public void Encode_SeveralRecords_AreFramedBack()
    {
        var codec = new ClickCodec();
        var buffer = new ArrayBufferWriter<byte>();
        for (var i = 0; i < 10; i++)
        {
            var click = codec.Sample(ts: i);
            codec.Encoder.Encode(in click, buffer);
        }

        var rest = buffer.WrittenSpan;
        for (var i = 0; i < 10; i++)
        {
            Assert.Equal(OperationStatus.Done, MessagePackFraming.TryGetObjectLength(rest, out var length));
            Assert.Equal(i, codec.Decode(rest[..length]).Ts);
            rest = rest[length..];
        }

        Assert.True(rest.IsEmpty);
    }

    private static MessagePackReader ValueOf(byte[] map, ReadOnlySpan<byte> name)
    {
        var reader = new MessagePackReader(map);
        Assert.True(reader.TryReadMapHeader(out var count));
        for (var i = 0; i < count; i++)
        {
            Assert.True(reader.TryReadString(out var key));
            if (key.SequenceEqual(name))
            {
                return reader;
            }

            Assert.True(reader.TrySkip());
        }

        Assert.Fail("key not found");
        return reader;
    }
}
