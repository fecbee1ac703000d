using System.Buffers;

namespace StreamKit.MessagePack.Tests;

public class AllocationTests
{
    [Theory]
    [InlineData("click-basic")]
    [InlineData("click-timestamp-ext")]
    [InlineData("click-reordered-unknown")]
    [InlineData("click-wide-encodings")]
    public void TryDecode_AfterWarmUp_AllocatesNothing(string golden)
    {
        var codec = new ClickCodec();
        var payload = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", golden + ".msgpack"));
        var decoder = codec.Decoder;
        var click = default(Click);
        for (var i = 0; i < 1_000; i++)
        {
            click = default;
            Assert.True(decoder.TryDecode(payload, ref click, out _));
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ok = true;
        for (var i = 0; i < 10_000; i++)
        {
            click = default;
            ok &= decoder.TryDecode(payload, ref click, out _);
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(ok);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Encode_AfterWarmUp_AllocatesNothing()
    {
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = MessagePackTimestampEncoding.Extension });
        var click = codec.Sample();
        var output = new ArrayBufferWriter<byte>(4096);
        for (var i = 0; i < 1_000; i++)
        {
            output.ResetWrittenCount();
            codec.Encoder.Encode(in click, output);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            output.ResetWrittenCount();
            codec.Encoder.Encode(in click, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void TryGetObjectLength_AfterWarmUp_AllocatesNothing()
    {
        var payload = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "click-reordered-unknown.msgpack"));
        for (var i = 0; i < 1_000; i++)
        {
            MessagePackFraming.TryGetObjectLength(payload, out _);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            MessagePackFraming.TryGetObjectLength(payload, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
