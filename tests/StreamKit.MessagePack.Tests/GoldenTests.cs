using System.Text.Json.Nodes;

namespace StreamKit.MessagePack.Tests;

/// <summary>Checked-in payloads written by python3-msgpack (see Golden/generate.py) and the records they must decode to.</summary>
public class GoldenTests
{
    private static readonly string s_folder = Path.Combine(AppContext.BaseDirectory, "Golden");

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(s_folder, "*.msgpack").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileNameWithoutExtension(file));
        }

        return data;
    }

    [Fact]
    public void Golden_Folder_HoldsEveryCase()
    {
        Assert.Equal(9, Cases().Count);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TryDecode_GoldenFile_MatchesExpectedJson(string name)
    {
        var codec = new ClickCodec();
        var payload = File.ReadAllBytes(Path.Combine(s_folder, name + ".msgpack"));
        var expected = JsonNode.Parse(File.ReadAllText(Path.Combine(s_folder, name + ".json")))!;
        var click = default(Click);

        var ok = codec.Decoder.TryDecode(payload, ref click, out var error);

        var actual = ok ? codec.ToJson(click) : new JsonObject { ["error"] = error };
        Assert.True(JsonNode.DeepEquals(expected, actual), $"expected {expected.ToJsonString()}\nactual   {actual.ToJsonString()}");
    }

    [Theory]
    [InlineData("click-basic", MessagePackTimestampEncoding.Int64Millis)]
    [InlineData("click-timestamp-ext", MessagePackTimestampEncoding.Extension)]
    public void Encode_GoldenRecord_WritesGoldenBytes(string name, MessagePackTimestampEncoding encoding)
    {
        var codec = new ClickCodec(encoderOptions: new() { TimestampEncoding = encoding });
        var expected = File.ReadAllBytes(Path.Combine(s_folder, name + ".msgpack"));
        var click = codec.FromJson(JsonNode.Parse(File.ReadAllText(Path.Combine(s_folder, name + ".json")))!);

        Assert.Equal(Bytes.ToHex(expected), Bytes.ToHex(codec.Encode(click)));
    }
}
