using System.Buffers;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Runtime;

namespace StreamKit.Core.Tests.Codecs;

public class JsonLinesEncoderTests
{
    private static readonly string[] s_pages = ["home", "caf\u00e9", "quote\"d", "back\\slash", "<tag>&'+", "tab\tnew\nline", "\U0001F600", "\u0001ctl"];

    [Fact]
    public void Encode_ThenDecode_RoundTrips()
    {
        var codec = new VisitCodec();
        var encoder = new JsonLinesEncoder<Visit>(codec.Map);
        var decoder = new JsonLinesDecoder<Visit>(codec.Map);
        var random = new Random(42);
        var output = new ArrayBufferWriter<byte>();
        double[] amounts = [0, 0.1, -1.5, 1e-300, double.MaxValue, double.Epsilon, 123456789.123456789, -0.0];
        for (var i = 0; i < 2_000; i++)
        {
            var original = new Visit
            {
                Ts = i switch { 0 => long.MinValue, 1 => long.MaxValue, _ => random.NextInt64(-10_000_000_000_000, 10_000_000_000_000) },
                UserId = i switch { 0 => int.MinValue, 1 => int.MaxValue, _ => random.Next(int.MinValue, int.MaxValue) },
                SessionId = i == 2 ? long.MinValue : random.NextInt64(),
                Amount = i < amounts.Length ? amounts[i] : (random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-20, 20)),
                IsBot = random.Next(2) == 1,
                Page = codec.Pages.GetOrAdd(Encoding.UTF8.GetBytes(s_pages[random.Next(s_pages.Length)])),
            };

            output.ResetWrittenCount();
            encoder.Encode(original, output);
            var line = output.WrittenSpan;
            Assert.Equal((byte)'\n', line[^1]);
            Assert.Equal(-1, line[..^1].IndexOf((byte)'\n'));

            var decoded = default(Visit);
            Assert.True(decoder.TryDecode(line[..^1], ref decoded, out var reason), reason);
            Assert.Equal(original, decoded);
        }
    }

    [Fact]
    public void Encode_Record_WritesCompactObjectInMapOrder()
    {
        var codec = new VisitCodec();
        var encoder = new JsonLinesEncoder<Visit>(codec.Map);
        var output = new ArrayBufferWriter<byte>();

        encoder.Encode(new Visit { Ts = 5, UserId = 7, SessionId = 9, Amount = 1.5, IsBot = true, Page = codec.Pages.GetOrAdd("home"u8) }, output);
        encoder.Encode(new Visit { Ts = 6, UserId = 8, Page = codec.Pages.GetOrAdd("cart"u8) }, output);

        Assert.Equal(
            "{\"ts\":5,\"userId\":7,\"sessionId\":9,\"amount\":1.5,\"bot\":true,\"page\":\"home\"}\n" +
            "{\"ts\":6,\"userId\":8,\"sessionId\":0,\"amount\":0,\"bot\":false,\"page\":\"cart\"}\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Encode_SteadyState_AllocatesNothing()
    {
        var codec = new VisitCodec();
        var encoder = new JsonLinesEncoder<Visit>(codec.Map);
        var output = new ArrayBufferWriter<byte>(4096);
        var visit = new Visit { Ts = 1704067200123, UserId = 42, SessionId = 7, Amount = 12.25, Page = codec.Pages.GetOrAdd("caf\u00e9"u8) };
        for (var i = 0; i < 10_000; i++) // long enough for tiered compilation to settle
        {
            output.ResetWrittenCount();
            encoder.Encode(visit, output);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            output.ResetWrittenCount();
            encoder.Encode(visit, output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
