namespace StreamKit.MessagePack.Tests;

public class MessagePackWriterTests
{
    [Theory]
    [InlineData(0L, "00")]
    [InlineData(127L, "7f")]
    [InlineData(128L, "cc80")]
    [InlineData(255L, "ccff")]
    [InlineData(256L, "cd0100")]
    [InlineData(65535L, "cdffff")]
    [InlineData(65536L, "ce00010000")]
    [InlineData(4294967295L, "ceffffffff")]
    [InlineData(4294967296L, "cf0000000100000000")]
    [InlineData(long.MaxValue, "cf7fffffffffffffff")]
    [InlineData(-1L, "ff")]
    [InlineData(-32L, "e0")]
    [InlineData(-33L, "d0df")]
    [InlineData(-128L, "d080")]
    [InlineData(-129L, "d1ff7f")]
    [InlineData(-32768L, "d18000")]
    [InlineData(-32769L, "d2ffff7fff")]
    [InlineData((long)int.MinValue, "d280000000")]
    [InlineData((long)int.MinValue - 1, "d3ffffffff7fffffff")]
    [InlineData(long.MinValue, "d38000000000000000")]
    public void WriteInt64_Boundaries_UsesSmallestEncoding(long value, string expectedHex)
    {
        var bytes = Bytes.Write(w => w.WriteInt64(value));

        Assert.Equal(expectedHex, Bytes.ToHex(bytes));
        var reader = new MessagePackReader(bytes);
        Assert.True(reader.TryReadInt64(out var read));
        Assert.Equal(value, read);
    }

    [Fact]
    public void WriteUInt64_Max_UsesUInt64()
    {
        var bytes = Bytes.Write(static w => w.WriteUInt64(ulong.MaxValue));

        Assert.Equal("cfffffffffffffffff", Bytes.ToHex(bytes));
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    public void WriteString_Lengths_UsesSmallestHeader(int length, string headerHex)
    {
        var text = new string('é', length / 2) + new string('z', length % 2);
        var bytes = Bytes.Write(w => w.WriteString(text));

        Assert.Equal(headerHex, Bytes.ToHex(bytes.AsSpan(0, headerHex.Length / 2)));
        Assert.Equal(length + (headerHex.Length / 2), bytes.Length);
        var reader = new MessagePackReader(bytes);
        Assert.True(reader.TryReadString(out var utf8));
        Assert.Equal(text, System.Text.Encoding.UTF8.GetString(utf8));
    }

    [Theory]
    [InlineData(0, "c400")]
    [InlineData(255, "c4ff")]
    [InlineData(256, "c50100")]
    [InlineData(65536, "c600010000")]
    public void WriteBinary_Lengths_UsesSmallestHeader(int length, string headerHex)
    {
        var bytes = Bytes.Write(w => w.WriteBinary(new byte[length]));

        Assert.StartsWith(headerHex, Bytes.ToHex(bytes.AsSpan(0, headerHex.Length / 2)), StringComparison.Ordinal);
        Assert.Equal(length + (headerHex.Length / 2), bytes.Length);
    }

    [Theory]
    [InlineData(0, "90", "80")]
    [InlineData(15, "9f", "8f")]
    [InlineData(16, "dc0010", "de0010")]
    [InlineData(65535, "dcffff", "deffff")]
    [InlineData(65536, "dd00010000", "df00010000")]
    public void WriteContainerHeader_Counts_UsesSmallestHeader(int count, string arrayHex, string mapHex)
    {
        Assert.Equal(arrayHex, Bytes.ToHex(Bytes.Write(w => w.WriteArrayHeader(count))));
        Assert.Equal(mapHex, Bytes.ToHex(Bytes.Write(w => w.WriteMapHeader(count))));
    }

    [Theory]
    [InlineData(1, "d405")]
    [InlineData(2, "d505")]
    [InlineData(3, "c70305")]
    [InlineData(4, "d605")]
    [InlineData(8, "d705")]
    [InlineData(16, "d805")]
    [InlineData(17, "c71105")]
    [InlineData(256, "c8010005")]
    [InlineData(65536, "c90001000005")]
    public void WriteExtension_Lengths_UsesSmallestHeader(int length, string headerHex)
    {
        var bytes = Bytes.Write(w => w.WriteExtension(5, new byte[length]));

        Assert.Equal(headerHex, Bytes.ToHex(bytes.AsSpan(0, headerHex.Length / 2)));
        var reader = new MessagePackReader(bytes);
        Assert.True(reader.TryReadExtension(out var type, out var data));
        Assert.Equal(5, type);
        Assert.Equal(length, data.Length);
    }

    [Theory]
    [InlineData(0L, 0u, "d6ff00000000")]
    [InlineData(1_700_000_000L, 0u, "d6ff6553f100")]
    [InlineData(4_294_967_295L, 0u, "d6ffffffffff")]
    [InlineData(4_294_967_296L, 0u, "d7ff0000000100000000")]
    [InlineData(1_700_000_000L, 123_000_000u, "d7ff1d5353006553f100")]
    [InlineData(3L, 999_999_999u, "d7ffee6b27fc00000003")]
    [InlineData(17_179_869_184L, 0u, "c70cff000000000000000400000000")]
    [InlineData(-2L, 500_000_000u, "c70cff1dcd6500fffffffffffffffe")]
    public void WriteTimestamp_Forms_UsesSmallest(long seconds, uint nanoseconds, string expectedHex)
    {
        var bytes = Bytes.Write(w => w.WriteTimestamp(seconds, nanoseconds));

        Assert.Equal(expectedHex, Bytes.ToHex(bytes));
        var reader = new MessagePackReader(bytes);
        Assert.True(reader.TryReadTimestamp(out var s, out var ns));
        Assert.Equal((seconds, nanoseconds), (s, ns));
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(-1_000L)]
    [InlineData(-1_001L)]
    [InlineData(1_700_000_000_123L)]
    [InlineData(4_294_967_295_000L)]
    [InlineData(long.MaxValue)]
    [InlineData(long.MinValue)]
    public void WriteTimestampMillis_AnyInstant_RoundTrips(long millis)
    {
        var bytes = Bytes.Write(w => w.WriteTimestampMillis(millis));
        var reader = new MessagePackReader(bytes);

        Assert.True(reader.TryReadTimestampMillis(out var read));
        Assert.Equal(millis, read);
        Assert.True(reader.End);
    }

    [Fact]
    public void WriteTimestamp_NanosecondsOverOneSecond_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Bytes.Write(static w => w.WriteTimestamp(0, 1_000_000_000)));
    }

    [Fact]
    public void WriteFloats_Values_UseFloat64AndFloat32()
    {
        Assert.Equal("cb3ff8000000000000", Bytes.ToHex(Bytes.Write(static w => w.WriteDouble(1.5))));
        Assert.Equal("ca3fc00000", Bytes.ToHex(Bytes.Write(static w => w.WriteSingle(1.5f))));
        Assert.Equal("c0c3c2", Bytes.ToHex(Bytes.Write(static w =>
        {
            w.WriteNil();
            w.WriteBoolean(true);
            w.WriteBoolean(false);
        })));
    }

    [Fact]
    public void WriteThenRead_RandomValues_RoundTrip()
    {
        var random = new Random(1234);
        for (var i = 0; i < 5_000; i++)
        {
            var integer = random.Next(5) switch
            {
                0 => random.NextInt64(-40, 300),
                1 => random.NextInt64(short.MinValue * 2L, ushort.MaxValue * 2L),
                2 => random.NextInt64(int.MinValue * 2L, uint.MaxValue * 2L),
                3 => random.NextInt64(long.MinValue, long.MaxValue),
                _ => random.Next(2) == 0 ? long.MinValue : long.MaxValue,
            };
            var number = BitConverter.Int64BitsToDouble(random.NextInt64());
            var text = new string((char)random.Next('a', 'z'), random.Next(0, 300));
            var bytes = Bytes.Write(w =>
            {
                w.WriteArrayHeader(3);
                w.WriteInt64(integer);
                w.WriteDouble(number);
                w.WriteString(text);
            });

            var reader = new MessagePackReader(bytes);
            Assert.True(reader.TryReadArrayHeader(out var count));
            Assert.Equal(3, count);
            Assert.True(reader.TryReadInt64(out var readInteger));
            Assert.Equal(integer, readInteger);
            Assert.True(reader.TryReadDouble(out var readNumber));
            Assert.Equal(BitConverter.DoubleToInt64Bits(number), BitConverter.DoubleToInt64Bits(readNumber));
            Assert.True(reader.TryReadString(out var utf8));
            Assert.Equal(text, System.Text.Encoding.UTF8.GetString(utf8));
            Assert.True(reader.End);
        }
    }
}
