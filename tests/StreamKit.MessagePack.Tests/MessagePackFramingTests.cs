using System.Buffers;
using MessagePack;

namespace StreamKit.MessagePack.Tests;

public class MessagePackFramingTests
{
    [Fact]
    public void TryGetObjectLength_ConcatenatedObjects_CutsEachOne()
    {
        var parts = new[]
        {
            Bytes.Hex("2a"),
            Bytes.Hex("c0"),
            Bytes.Write(static (ref MessagePackWriter w) => w.Write(new string('s', 70_000))),
            Bytes.Write(static (ref MessagePackWriter w) =>
            {
                w.WriteMapHeader(2);
                w.Write("a");
                w.WriteArrayHeader(2);
                w.WriteTimestamp(-1, 1);
                w.Write(new byte[300]);
                w.Write(-1);
                w.WriteMapHeader(0);
            }),
            Bytes.Hex("cb3ff8000000000000"),
        };
        var stream = parts.SelectMany(static p => p).ToArray();

        var offset = 0;
        foreach (var part in parts)
        {
            Assert.Equal(OperationStatus.Done, MessagePackFraming.TryGetObjectLength(stream.AsSpan(offset), out var length));
            Assert.Equal(part.Length, length);
            offset += length;
        }

        Assert.Equal(OperationStatus.NeedMoreData, MessagePackFraming.TryGetObjectLength(stream.AsSpan(offset), out _));
    }

    [Fact]
    public void TryGetObjectLength_EveryPrefix_NeedsMoreData()
    {
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = MessagePackTimestampEncoding.Extension });
        var bytes = codec.Encode(codec.Sample(ts: -1_001));

        for (var cut = 0; cut < bytes.Length; cut++)
        {
            Assert.Equal(OperationStatus.NeedMoreData, MessagePackFraming.TryGetObjectLength(bytes.AsSpan(0, cut), out var length));
            Assert.Equal(0, length);
        }

        Assert.Equal(OperationStatus.Done, MessagePackFraming.TryGetObjectLength(bytes, out var full));
        Assert.Equal(bytes.Length, full);
    }

    [Theory]
    [InlineData("c1")]
    [InlineData("92 01 c1")]
    [InlineData("81 a1 61 c1")]
    public void TryGetObjectLength_ReservedByte_IsInvalid(string hex)
    {
        Assert.Equal(OperationStatus.InvalidData, MessagePackFraming.TryGetObjectLength(Bytes.Hex(hex), out var length));
        Assert.Equal(0, length);
    }

    [Fact]
    public void TryGetObjectLength_TooDeep_IsInvalid()
    {
        Assert.Equal(OperationStatus.Done, MessagePackFraming.TryGetObjectLength(Bytes.Nested(MessagePackFraming.MaxDepth), out _));
        Assert.Equal(OperationStatus.InvalidData, MessagePackFraming.TryGetObjectLength(Bytes.Nested(MessagePackFraming.MaxDepth + 1), out _));
    }

    [Theory]
    [InlineData("db7fffffff", 1024)]
    [InlineData("dbffffffff", int.MaxValue)]
    [InlineData("ddffffffff", 1_000_000)]
    [InlineData("c90001000005", 65_000)]
    public void TryGetObjectLength_DeclaredLengthOverMax_IsInvalidBeforeDataArrives(string hex, int max)
    {
        Assert.Equal(OperationStatus.InvalidData, MessagePackFraming.TryGetObjectLength(Bytes.Hex(hex), max, out _));
    }

    [Fact]
    public void TryGetObjectLength_CompleteObjectOverMax_IsInvalid()
    {
        var bytes = Bytes.Write(static (ref MessagePackWriter w) => w.Write(new string('x', 100)));

        Assert.Equal(OperationStatus.InvalidData, MessagePackFraming.TryGetObjectLength(bytes, 100, out _));
        Assert.Equal(OperationStatus.Done, MessagePackFraming.TryGetObjectLength(bytes, 102, out var length));
        Assert.Equal(102, length);
    }

    [Fact]
    public void TryGetObjectLength_NonPositiveMax_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MessagePackFraming.TryGetObjectLength([0x01], 0, out _));
    }

    [Fact]
    public void TryGetObjectLength_StreamReadInSmallChunks_CutsEveryRecord()
    {
        var codec = new ClickCodec();
        var file = new ArrayBufferWriter<byte>();
        for (var i = 0; i < 200; i++)
        {
            var click = codec.Sample(ts: i * 1_000L);
            codec.Encoder.Encode(in click, file);
        }

        var decoded = FrameAndDecode(codec, file.WrittenSpan.ToArray(), chunkSize: 7);

        Assert.Equal(200, decoded.Count);
        for (var i = 0; i < decoded.Count; i++)
        {
            Assert.Equal(i * 1_000L, decoded[i].Ts);
        }
    }

    /// <summary>What a file source does: read chunks into a buffer, cut off whole objects, decode them.</summary>
    internal static List<Click> FrameAndDecode(ClickCodec codec, byte[] file, int chunkSize)
    {
        var records = new List<Click>();
        var pending = new List<byte>();
        var read = 0;
        while (true)
        {
            var buffer = pending.ToArray();
            var status = MessagePackFraming.TryGetObjectLength(buffer, out var length);
            if (status == OperationStatus.Done)
            {
                records.Add(codec.Decode(buffer.AsSpan(0, length)));
                pending.RemoveRange(0, length);
                continue;
            }

            Assert.Equal(OperationStatus.NeedMoreData, status);
            if (read == file.Length)
            {
                Assert.Empty(pending);
                return records;
            }

            var take = Math.Min(chunkSize, file.Length - read);
            pending.AddRange(file.AsSpan(read, take));
            read += take;
        }
    }
}
