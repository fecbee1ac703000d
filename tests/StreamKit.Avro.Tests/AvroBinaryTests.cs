using System.Buffers;
using StreamKit.Avro.Binary;
using Avro;

namespace StreamKit.Avro.Tests;

public class AvroBinaryTests
{
    public static TheoryData<long> LongBoundaries()
    {
        var data = new TheoryData<long> { 0, 1, -1, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, (long)int.MinValue - 1 };
        for (var bits = 6; bits < 63; bits += 7)
        {
            // Zigzag puts 2^bits - 1 and -2^bits at the top of one width and 2^bits, -2^bits - 1 at the start of the next.
            var edge = 1L << bits;
            data.Add(edge - 1);
            data.Add(edge);
            data.Add(-edge);
            data.Add(-edge - 1);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LongBoundaries))]
    public void WriteLong_Boundary_RoundTripsWithExpectedWidth(long value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteLong(buffer, value);
        var zigzag = (ulong)((value << 1) ^ (value >> 63));
        var expectedWidth = 1;
        while (zigzag >= 0x80)
        {
            zigzag >>= 7;
            expectedWidth++;
        }

        Assert.Equal(expectedWidth, buffer.WrittenCount);
        var reader = new AvroReader(buffer.WrittenSpan);
        Assert.True(reader.TryReadLong(out var decoded));
        Assert.Equal(value, decoded);
        Assert.True(reader.End);

        // Every strict prefix is a truncation and must fail without moving.
        for (var cut = 0; cut < buffer.WrittenCount; cut++)
        {
            var truncated = new AvroReader(buffer.WrittenSpan[..cut]);
            Assert.False(truncated.TryReadLong(out _));
            Assert.Equal(0, truncated.Position);
        }
    }

    [Theory]
    [InlineData(0, new byte[] { 0x00 })]
    [InlineData(-1, new byte[] { 0x01 })]
    [InlineData(1, new byte[] { 0x02 })]
    [InlineData(-2, new byte[] { 0x03 })]
    [InlineData(2, new byte[] { 0x04 })]
    [InlineData(-64, new byte[] { 0x7f })]
    [InlineData(64, new byte[] { 0x80, 0x01 })]
    [InlineData(int.MaxValue, new byte[] { 0xfe, 0xff, 0xff, 0xff, 0x0f })]
    [InlineData(int.MinValue, new byte[] { 0xff, 0xff, 0xff, 0xff, 0x0f })]
    public void WriteInt_SpecExamples_MatchBytes(int value, byte[] expected)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteInt(buffer, value);
        Assert.Equal(expected, buffer.WrittenSpan.ToArray());
        var reader = new AvroReader(expected);
        Assert.True(reader.TryReadInt(out var decoded));
        Assert.Equal(value, decoded);
    }

    [Theory]
    [MemberData(nameof(LongBoundaries))]
    public void TryReadInt_LongValues_AcceptsOnlyInt32Range(long value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteLong(buffer, value);
        var reader = new AvroReader(buffer.WrittenSpan);
        var ok = reader.TryReadInt(out var decoded);
        Assert.Equal(value is >= int.MinValue and <= int.MaxValue, ok);
        if (ok)
        {
            Assert.Equal(value, decoded);
        }
    }

    [Fact]
    public void TryReadLong_ElevenByteVarint_Fails()
    {
        byte[] bytes = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
        var reader = new AvroReader(bytes);
        Assert.False(reader.TryReadLong(out _));
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void TryReadLong_TenthByteOverflows_Fails()
    {
        byte[] bytes = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02];
        Assert.False(new AvroReader(bytes).TryReadLong(out _));
        bytes[9] = 0x01;
        var reader = new AvroReader(bytes);
        Assert.True(reader.TryReadLong(out var value));
        Assert.Equal(long.MinValue, value);
    }

    [Fact]
    public void TryReadInt_FifthByteOverflows_Fails()
    {
        byte[] bytes = [0xff, 0xff, 0xff, 0xff, 0x1f];
        Assert.False(new AvroReader(bytes).TryReadInt(out _));
    }

    [Fact]
    public void TryReadLong_OverlongZero_Accepted()
    {
        byte[] bytes = [0x80, 0x80, 0x00];
        var reader = new AvroReader(bytes);
        Assert.True(reader.TryReadLong(out var value));
        Assert.Equal(0, value);
        Assert.Equal(3, reader.Position);
    }

    [Fact]
    public void WriteString_Empty_IsSingleZeroByte()
    {
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteString(buffer, ReadOnlySpan<byte>.Empty);
        AvroWriter.WriteString(buffer, "");
        Assert.Equal(new byte[] { 0, 0 }, buffer.WrittenSpan.ToArray());
        var reader = new AvroReader(buffer.WrittenSpan);
        Assert.True(reader.TryReadString(out var first));
        Assert.True(first.IsEmpty);
        Assert.True(reader.TryReadBytes(out var second));
        Assert.True(second.IsEmpty);
        Assert.True(reader.End);
    }

    [Fact]
    public void WriteString_Unicode_RoundTripsUtf8()
    {
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteString(buffer, "héllo ✓ 😀");
        var reader = new AvroReader(buffer.WrittenSpan);
        Assert.True(reader.TryReadString(out var utf8));
        Assert.Equal("héllo ✓ 😀", System.Text.Encoding.UTF8.GetString(utf8));
    }

    [Theory]
    [InlineData(new byte[] { 0x01 })]             // length -1
    [InlineData(new byte[] { 0x06, 0x61, 0x62 })] // length 3, 2 bytes present
    [InlineData(new byte[] { 0x80 })]             // truncated length
    public void TryReadBytes_BadLength_FailsWithoutMoving(byte[] bytes)
    {
        var reader = new AvroReader(bytes);
        Assert.False(reader.TryReadBytes(out _));
        Assert.Equal(0, reader.Position);
    }

    [Fact]
    public void TryReadBoolean_ByteOtherThanZeroOrOne_Fails()
    {
        Assert.False(new AvroReader([2]).TryReadBoolean(out _));
        Assert.False(new AvroReader([]).TryReadBoolean(out _));
        var reader = new AvroReader([1, 0]);
        Assert.True(reader.TryReadBoolean(out var t) && t);
        Assert.True(reader.TryReadBoolean(out var f) && !f);
    }

    [Fact]
    public void WriteFloatAndDouble_LittleEndian_RoundTrip()
    {
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteFloat(buffer, 1.5f);
        AvroWriter.WriteDouble(buffer, -2.25);
        Assert.Equal(new byte[] { 0, 0, 0xc0, 0x3f, 0, 0, 0, 0, 0, 0, 0x02, 0xc0 }, buffer.WrittenSpan.ToArray());
        var reader = new AvroReader(buffer.WrittenSpan);
        Assert.True(reader.TryReadFloat(out var f));
        Assert.True(reader.TryReadDouble(out var d));
        Assert.Equal(1.5f, f);
        Assert.Equal(-2.25, d);
        Assert.False(new AvroReader([1, 2, 3]).TryReadFloat(out _));
        Assert.False(new AvroReader([1, 2, 3, 4, 5, 6, 7]).TryReadDouble(out _));
    }

    [Fact]
    public void TrySkip_ArraysMapsUnionsNested_SkipsExactly()
    {
        var schema = Schema.Parse("""
            {"type":"record","name":"R","fields":[
              {"name":"a","type":{"type":"array","items":["null","string",{"type":"map","values":"long"}]}},
              {"name":"f","type":{"type":"fixed","name":"F","size":3}},
              {"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}]}
            """);
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteLong(buffer, 3);         // block of 3 items
        AvroWriter.WriteLong(buffer, 0);         // null branch
        AvroWriter.WriteLong(buffer, 1);         // string branch
        AvroWriter.WriteString(buffer, "xy");
        AvroWriter.WriteLong(buffer, 2);         // map branch
        AvroWriter.WriteLong(buffer, 1);
        AvroWriter.WriteString(buffer, "k");
        AvroWriter.WriteLong(buffer, 99);
        AvroWriter.WriteLong(buffer, 0);         // end of map
        AvroWriter.WriteLong(buffer, -1);        // block with byte size
        AvroWriter.WriteLong(buffer, 1);
        AvroWriter.WriteLong(buffer, 0);         // null branch, 1 byte
        AvroWriter.WriteLong(buffer, 0);         // end of array
        AvroWriter.WriteFixed(buffer, [1, 2, 3]);
        AvroWriter.WriteInt(buffer, 1);
        buffer.GetSpan(1)[0] = 0xEE;
        buffer.Advance(1);
        var reader = new AvroReader(buffer.WrittenSpan);
        Assert.True(reader.TrySkip(AvroSkipPlan.Compile(schema)));
        Assert.Equal(buffer.WrittenCount - 1, reader.Position);
    }

    [Fact]
    public void TrySkip_HugeCountOfNulls_ReturnsQuickly()
    {
        var schema = Schema.Parse("""{"type":"array","items":"null"}""");
        var buffer = new ArrayBufferWriter<byte>();
        AvroWriter.WriteLong(buffer, long.MaxValue);
        AvroWriter.WriteLong(buffer, 0);
        Assert.True(new AvroReader(buffer.WrittenSpan).TrySkip(AvroSkipPlan.Compile(schema)));
    }

    [Fact]
    public void TrySkip_DeeplyRecursiveData_FailsInsteadOfOverflowingStack()
    {
        var schema = Schema.Parse("""{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}""");
        var data = new byte[100_000];
        Array.Fill(data, (byte)0x02); // branch 1 (Node) forever
        var reader = new AvroReader(data);
        Assert.False(reader.TrySkip(AvroSkipPlan.Compile(schema)));
        Assert.Equal(0, reader.Position);

        var shallow = new byte[] { 2, 2, 2, 0 };
        var ok = new AvroReader(shallow);
        Assert.True(ok.TrySkip(AvroSkipPlan.Compile(schema)));
        Assert.True(ok.End);
    }
}
