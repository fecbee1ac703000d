using System.Buffers;
using MessagePack;
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
        Assert.Equal(codec.Map.Fields.Count, reader.ReadMapHeader());
        foreach (var field in codec.Map.Fields)
        {
            Assert.True(reader.TryReadStringSpan(out var key));
            Assert.True(key.SequenceEqual(field.Utf8Name.Span));
            reader.Skip();
        }

        Assert.True(reader.End);
    }

    [Fact]
    public void Encode_DefaultOptions_WritesTimestampAsInteger()
    {
        var codec = new ClickCodec();

        var reader = ValueOf(codec.Encode(codec.Sample()), "ts"u8);

        Assert.Equal(MessagePackType.Integer, reader.NextMessagePackType);
        Assert.Equal(1_700_000_000_123, reader.ReadInt64());
    }

    [Fact]
    public void Encode_ExtensionOption_WritesTimestampExtension()
    {
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = MessagePackTimestampEncoding.Extension });

        var reader = ValueOf(codec.Encode(codec.Sample()), "ts"u8);

        Assert.Equal("d7ff1d5353006553f100", Bytes.ToHex(reader.Sequence.Slice(reader.Position).FirstSpan[..10]));
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_123).UtcDateTime, reader.ReadDateTime());
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
        var count = reader.ReadMapHeader();
        for (var i = 0; i < count; i++)
        {
            Assert.True(reader.TryReadStringSpan(out var key));
            if (key.SequenceEqual(name))
            {
                return reader;
            }

            reader.Skip();
        }

        Assert.Fail("key not found");
        return reader;
    }
}
