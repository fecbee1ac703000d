namespace StreamKit.MessagePack.Tests;

public class MessagePackReaderTests
{
    [Theory]
    [InlineData("00", 0L)]
    [InlineData("7f", 127L)]
    [InlineData("ff", -1L)]
    [InlineData("e0", -32L)]
    [InlineData("cc80", 128L)]
    [InlineData("ccff", 255L)]
    [InlineData("cd0100", 256L)]
    [InlineData("cdffff", 65535L)]
    [InlineData("ce00010000", 65536L)]
    [InlineData("ceffffffff", 4294967295L)]
    [InlineData("cf0000000100000000", 4294967296L)]
    [InlineData("cf7fffffffffffffff", long.MaxValue)]
    [InlineData("d0df", -33L)]
    [InlineData("d080", -128L)]
    [InlineData("d1ff7f", -129L)]
    [InlineData("d18000", -32768L)]
    [InlineData("d2ffff7fff", -32769L)]
    [InlineData("d280000000", (long)int.MinValue)]
    [InlineData("d3ffffffff7fffffff", (long)int.MinValue - 1)]
    [InlineData("d38000000000000000", long.MinValue)]
    [InlineData("d000", 0L)]
    [InlineData("d07f", 127L)]
    [InlineData("cc05", 5L)]
    [InlineData("d30000000000000001", 1L)]
    public void TryReadInt64_EveryWidth_ReadsValue(string hex, long expected)
    {
        var bytes = Bytes.Hex(hex);
        var reader = new MessagePackReader(bytes);

        Assert.True(reader.TryPeekType(out var type));
        Assert.Equal(MessagePackType.Integer, type);
        Assert.True(reader.TryReadInt64(out var value));
        Assert.Equal(expected, value);
        Assert.True(reader.End);
    }

    [Fact]
    public void TryReadInt64_UInt64AboveLongMax_ReturnsFalseAndKeepsPosition()
    {
        var reader = new MessagePackReader(Bytes.Hex("cfffffffffffffffff"));

        Assert.False(reader.TryReadInt64(out _));
        Assert.Equal(0, reader.Consumed);
        Assert.True(reader.TryReadUInt64(out var value));
        Assert.Equal(ulong.MaxValue, value);
    }

    [Theory]
    [InlineData("ff")]
    [InlineData("d38000000000000000")]
    public void TryReadUInt64_Negative_ReturnsFalse(string hex)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.False(reader.TryReadUInt64(out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData("ce80000000")]
    [InlineData("d3ffffffff7fffffff")]
    public void TryReadInt32_OutOfRange_ReturnsFalseAndKeepsPosition(string hex)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.False(reader.TryReadInt32(out _));
        Assert.Equal(0, reader.Consumed);
        Assert.True(reader.TryReadInt64(out _));
    }

    [Theory]
    [InlineData("ca3fc00000", 1.5)]
    [InlineData("cabf800000", -1.0)]
    [InlineData("cb400921fb54442d18", Math.PI)]
    [InlineData("cb7ff0000000000000", double.PositiveInfinity)]
    [InlineData("cb8000000000000000", -0.0)]
    public void TryReadDouble_Float32AndFloat64_ReadsValue(string hex, double expected)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.True(reader.TryReadDouble(out var value));
        Assert.Equal(expected, value);
        Assert.True(reader.End);
    }

    [Fact]
    public void TryReadDouble_NaN_ReadsNaN()
    {
        var reader = new MessagePackReader(Bytes.Hex("cb7ff8000000000000"));

        Assert.True(reader.TryReadDouble(out var value));
        Assert.True(double.IsNaN(value));
    }

    [Fact]
    public void TryReadDouble_Integer_ReturnsFalse()
    {
        var reader = new MessagePackReader(Bytes.Hex("05"));

        Assert.False(reader.TryReadDouble(out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData(0, "a0")]
    [InlineData(31, "bf")]
    [InlineData(32, "d920")]
    [InlineData(255, "d9ff")]
    [InlineData(256, "da0100")]
    [InlineData(65535, "daffff")]
    [InlineData(65536, "db00010000")]
    [InlineData(200_000, "db00030d40")]
    public void TryReadString_EveryLength_ReadsBytes(int length, string headerHex)
    {
        var text = new byte[length];
        for (var i = 0; i < length; i++)
        {
            text[i] = (byte)('a' + (i % 26));
        }

        var bytes = Bytes.Hex(headerHex).Concat(text).ToArray();
        var reader = new MessagePackReader(bytes);

        Assert.True(reader.TryPeekType(out var type));
        Assert.Equal(MessagePackType.String, type);
        Assert.True(reader.TryReadString(out var utf8));
        Assert.True(utf8.SequenceEqual(text));
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("c400", 0)]
    [InlineData("c40301 0203", 3)]
    [InlineData("c5000101", 1)]
    [InlineData("c60000000201 02", 2)]
    public void TryReadBinary_EveryFormat_ReadsBytes(string hex, int length)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.True(reader.TryReadBinary(out var bytes));
        Assert.Equal(length, bytes.Length);
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("90", 0)]
    [InlineData("9f" + "000102030405060708090a0b0c0d0e", 15)]
    [InlineData("dc0001" + "c0", 1)]
    [InlineData("dd00000002" + "c0c0", 2)]
    public void TryReadArrayHeader_EveryFormat_ReadsCount(string hex, int expected)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.True(reader.TryReadArrayHeader(out var count));
        Assert.Equal(expected, count);
    }

    [Theory]
    [InlineData("80", 0)]
    [InlineData("81" + "a178" + "01", 1)]
    [InlineData("de0001" + "a178" + "01", 1)]
    [InlineData("df00000001" + "a178" + "01", 1)]
    public void TryReadMapHeader_EveryFormat_ReadsCount(string hex, int expected)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.True(reader.TryReadMapHeader(out var count));
        Assert.Equal(expected, count);
    }

    [Theory]
    [InlineData("ddffffffff00")]
    [InlineData("dfffffffff0000")]
    [InlineData("9301")]
    public void TryReadContainerHeader_CountBeyondData_ReturnsFalse(string hex)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.False(reader.TryReadArrayHeader(out _));
        Assert.False(reader.TryReadMapHeader(out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData("d40501", 5, 1)]
    [InlineData("d5050102", 5, 2)]
    [InlineData("d60501020304", 5, 4)]
    [InlineData("d7050102030405060708", 5, 8)]
    [InlineData("d805" + "000102030405060708090a0b0c0d0e0f", 5, 16)]
    [InlineData("c700f6", -10, 0)]
    [InlineData("c70305010203", 5, 3)]
    [InlineData("c8000305010203", 5, 3)]
    [InlineData("c90000000305010203", 5, 3)]
    public void TryReadExtension_EveryFormat_ReadsTypeAndData(string hex, sbyte expectedType, int expectedLength)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));
        var copy = reader;

        Assert.True(reader.TryReadExtension(out var type, out var data));
        Assert.Equal(expectedType, type);
        Assert.Equal(expectedLength, data.Length);
        Assert.True(reader.End);

        Assert.True(copy.TryReadExtensionHeader(out type, out var length));
        Assert.Equal(expectedType, type);
        Assert.Equal(expectedLength, length);
        Assert.Equal(expectedLength, copy.Remaining);
    }

    [Theory]
    [InlineData("d6ff00000000", 0L, 0u)]
    [InlineData("d6ff6553f100", 1_700_000_000L, 0u)]
    [InlineData("d6ffffffffff", 4_294_967_295L, 0u)]
    [InlineData("d7ff1d5353006553f100", 1_700_000_000L, 123_000_000u)]
    [InlineData("d7ffee6b27fc00000003", 3L, 999_999_999u)]
    [InlineData("c70cff1dcd6500fffffffffffffffe", -2L, 500_000_000u)]
    [InlineData("c70cff000000007fffffffffffffff", long.MaxValue, 0u)]
    public void TryReadTimestamp_32_64_96_ReadsSecondsAndNanoseconds(string hex, long seconds, uint nanoseconds)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.True(reader.TryReadTimestamp(out var s, out var ns));
        Assert.Equal(seconds, s);
        Assert.Equal(nanoseconds, ns);
        Assert.True(reader.End);
    }

    [Theory]
    [InlineData("d6ff6553f100", 1_700_000_000_000L)]
    [InlineData("d7ff1d5353006553f100", 1_700_000_000_123L)]
    [InlineData("c70cff1dcd6500fffffffffffffffe", -1_500L)]
    [InlineData("c70cff3b9ac9ffffffffffffffffff", -1L)]
    public void TryReadTimestampMillis_AnyForm_FloorsToMilliseconds(string hex, long expected)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.True(reader.TryReadTimestampMillis(out var millis));
        Assert.Equal(expected, millis);
    }

    [Theory]
    [InlineData("c70cff000000007fffffffffffffff")]
    [InlineData("c70cff3b9ac9ff7fffffffffffffff")]
    [InlineData("c70cff000000008000000000000000")]
    public void TryReadTimestampMillis_Overflow_ReturnsFalse(string hex)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.False(reader.TryReadTimestampMillis(out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Theory]
    [InlineData("d7ffee6b280000000000")]
    [InlineData("c70cff3b9aca000000000000000000")]
    [InlineData("d6fe00000000")]
    [InlineData("d5ff0000")]
    [InlineData("c705ff0000000000")]
    public void TryReadTimestamp_InvalidTimestamp_ReturnsFalse(string hex)
    {
        var reader = new MessagePackReader(Bytes.Hex(hex));

        Assert.False(reader.TryReadTimestamp(out _, out _));
        Assert.Equal(0, reader.Consumed);
    }

    [Fact]
    public void TryRead_WrongType_ReturnsFalseAndKeepsPosition()
    {
        var reader = new MessagePackReader(Bytes.Hex("a3616263"));

        Assert.False(reader.TryReadNil());
        Assert.False(reader.TryReadBoolean(out _));
        Assert.False(reader.TryReadInt64(out _));
        Assert.False(reader.TryReadDouble(out _));
        Assert.False(reader.TryReadBinary(out _));
        Assert.False(reader.TryReadArrayHeader(out _));
        Assert.False(reader.TryReadMapHeader(out _));
        Assert.False(reader.TryReadExtension(out _, out _));
        Assert.False(reader.TryReadTimestamp(out _, out _));
        Assert.Equal(0, reader.Consumed);
        Assert.True(reader.TryReadString(out var utf8));
        Assert.True(utf8.SequenceEqual("abc"u8));
    }

    [Fact]
    public void TryReadNilAndBoolean_Values_ReadInOrder()
    {
        var reader = new MessagePackReader(Bytes.Hex("c0c2c3"));

        Assert.True(reader.TryReadNil());
        Assert.True(reader.TryReadBoolean(out var first));
        Assert.False(first);
        Assert.True(reader.TryReadBoolean(out var second));
        Assert.True(second);
        Assert.True(reader.End);
        Assert.False(reader.TryPeekType(out _));
    }

    [Fact]
    public void TryPeekType_ReservedByte_ReturnsFalse()
    {
        var reader = new MessagePackReader(Bytes.Hex("c1"));

        Assert.False(reader.TryPeekType(out var type));
        Assert.Equal(MessagePackType.Invalid, type);
        Assert.False(reader.TrySkip());
    }

    [Fact]
    public void TrySkip_NestedContainersOfEveryType_SkipsWholeValue()
    {
        var value = Bytes.Write(static w =>
        {
            w.WriteMapHeader(3);
            w.WriteString("a");
            w.WriteArrayHeader(4);
            w.WriteBinary([1, 2, 3]);
            w.WriteTimestamp(-5, 7);
            w.WriteMapHeader(1);
            w.WriteInt64(long.MinValue);
            w.WriteArrayHeader(20);
            for (var i = 0; i < 20; i++)
            {
                w.WriteDouble(i);
            }

            w.WriteString(new string('x', 70_000));
            w.WriteInt64(1);
            w.WriteExtension(3, new byte[300]);
            w.WriteBoolean(true);
            w.WriteNil();
        });
        var bytes = value.Append((byte)0x2a).ToArray();
        var reader = new MessagePackReader(bytes);

        Assert.True(reader.TrySkip());
        Assert.Equal(value.Length, reader.Consumed);
        Assert.True(reader.TryReadInt64(out var next));
        Assert.Equal(42, next);
    }

    [Fact]
    public void TrySkip_DepthAtLimit_Succeeds()
    {
        var bytes = Nested(MessagePackReader.MaxDepth);
        var reader = new MessagePackReader(bytes);

        Assert.True(reader.TrySkip());
        Assert.True(reader.End);
    }

    [Fact]
    public void TrySkip_DepthOverLimit_ReturnsFalse()
    {
        var bytes = Nested(MessagePackReader.MaxDepth + 1);
        var reader = new MessagePackReader(bytes);

        Assert.False(reader.TrySkip());
        Assert.Equal(0, reader.Consumed);
    }

    [Fact]
    public void TrySkip_HugeDeclaredCounts_ReturnsFalseWithoutLooping()
    {
        var reader = new MessagePackReader(Bytes.Hex("ddffffffff 91 91 df ffffffff"));

        Assert.False(reader.TrySkip());
    }

    internal static byte[] Nested(int depth)
    {
        // depth arrays, each holding the next; the innermost is empty.
        var bytes = new byte[depth];
        bytes.AsSpan(0, depth - 1).Fill(0x91);
        bytes[^1] = 0x90;
        return bytes;
    }
}
