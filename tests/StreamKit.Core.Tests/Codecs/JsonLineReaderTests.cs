using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Runtime;

namespace StreamKit.Core.Tests.Codecs;

/// <summary>Decoding JSON lines already in memory: framed like <c>.jsonl</c> files, bad lines reported, not thrown.</summary>
public sealed class JsonLineReaderTests
{
    private readonly VisitCodec _codec = new();

    [Fact]
    public void ReadLines_MixedInput_YieldsRecordsAndRejectedLinesWithPositions()
    {
        const string text = "\uFEFF{\"ts\":1,\"userId\":7,\"page\":\"home\"}\r\n\n  \t\nnot json\n{\"ts\":2,\"userId\":8,\"page\":\"cart\"}";
        var utf8 = Encoding.UTF8.GetBytes(text);
        var decoder = new JsonLinesDecoder<Visit>(_codec.Map);

        var lines = new List<(bool Valid, long Position, string Raw, long Ts, string? Error)>();
        foreach (var line in decoder.ReadLines(utf8))
        {
            lines.Add((line.IsValid, line.Position, Encoding.UTF8.GetString(line.Raw), line.Record.Ts, line.Error));
        }

        Assert.Equal(3, lines.Count);
        Assert.Equal((true, 3L, "{\"ts\":1,\"userId\":7,\"page\":\"home\"}", 1L), (lines[0].Valid, lines[0].Position, lines[0].Raw, lines[0].Ts));
        var bad = lines[1];
        Assert.False(bad.Valid);
        Assert.Equal("not json", bad.Raw);
        Assert.Equal(utf8.AsSpan().IndexOf("not json"u8), bad.Position);
        Assert.StartsWith("malformed JSON", bad.Error, StringComparison.Ordinal);
        Assert.Equal((true, 2L), (lines[2].Valid, lines[2].Ts));
    }

    [Fact]
    public void ReadLines_String_MatchesUtf8()
    {
        const string text = "{\"ts\":5,\"userId\":1,\"page\":\"é\"}\n{\"ts\":6}\n";
        var decoder = new JsonLinesDecoder<Visit>(_codec.Map);

        var fromString = Collect(decoder.ReadLines(text));
        var fromBytes = Collect(decoder.ReadLines(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(fromBytes, fromString);
        Assert.Equal([(5L, 0L, (string?)null), (0L, 32L, "missing field 'userId'")], fromString);
    }

    [Fact]
    public void ReadLines_ValidLines_AllocateNothing()
    {
        var utf8 = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"ts\":5,\"userId\":1,\"page\":\"home\"}\n", 100)));
        var decoder = new JsonLinesDecoder<Visit>(_codec.Map);
        Sum(decoder, utf8);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = Sum(decoder, utf8);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(500, sum);
        Assert.Equal(0, allocated);
    }

    private static long Sum(JsonLinesDecoder<Visit> decoder, byte[] utf8)
    {
        var sum = 0L;
        foreach (var line in decoder.ReadLines(utf8))
        {
            sum += line.Record.Ts;
        }

        return sum;
    }

    private static List<(long Ts, long Position, string? Error)> Collect(JsonLineReader<Visit> reader)
    {
        var result = new List<(long, long, string?)>();
        foreach (var line in reader)
        {
            result.Add((line.Record.Ts, line.Position, line.Error));
        }

        return result;
    }
}
