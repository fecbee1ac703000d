using System.Text;
using System.Text.Json;
using StreamKit.Kinesis.Internal;

namespace StreamKit.Kinesis.Tests;

/// <summary>The hand-written signer against AWS's published SigV4 test-suite vectors (TestData/sigv4-test-suite.json, origin noted there).</summary>
public sealed class SigV4SignerTests
{
    private static readonly JsonElement s_suite = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "sigv4-test-suite.json"))).RootElement;

    public static TheoryData<string> Vectors()
    {
        var names = new TheoryData<string>();
        foreach (var vector in s_suite.GetProperty("vectors").EnumerateArray())
        {
            names.Add(vector.GetProperty("name").GetString()!);
        }

        return names;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Authorize_TestSuiteVector_MatchesPublishedAuthorization(string name)
    {
        var vector = s_suite.GetProperty("vectors").EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);
        var headers = vector.GetProperty("headers").EnumerateObject()
            .Select(h => new KeyValuePair<string, string>(h.Name.ToLowerInvariant(), h.Value.GetString()!.Trim()))
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .ToArray();
        var signer = new SigV4Signer(s_suite.GetProperty("region").GetString()!, s_suite.GetProperty("service").GetString()!);

        var authorization = signer.Authorize(
            vector.GetProperty("method").GetString()!,
            vector.GetProperty("path").GetString()!,
            SigV4Signer.CanonicalQuery(vector.GetProperty("query").GetString()!),
            headers,
            SigV4Signer.HashHex(Encoding.UTF8.GetBytes(vector.GetProperty("body").GetString()!)),
            s_suite.GetProperty("amzDate").GetString()!,
            s_suite.GetProperty("accessKey").GetString()!,
            s_suite.GetProperty("secretKey").GetString()!);

        Assert.Equal(vector.GetProperty("authorization").GetString(), authorization);
    }

    [Fact]
    public void Authorize_SameDayTwice_ReusesKeyAndGivesSameSignature()
    {
        var signer = new SigV4Signer("us-east-1", "kinesis");
        KeyValuePair<string, string>[] headers = [new("host", "kinesis.us-east-1.amazonaws.com"), new("x-amz-date", "20150830T123600Z")];
        var first = signer.Authorize("POST", "/", "", headers, SigV4Signer.HashHex("{}"u8), "20150830T123600Z", "AKID", "secret");
        var second = signer.Authorize("POST", "/", "", headers, SigV4Signer.HashHex("{}"u8), "20150830T123600Z", "AKID", "secret");
        var otherSecret = signer.Authorize("POST", "/", "", headers, SigV4Signer.HashHex("{}"u8), "20150830T123600Z", "AKID", "other");

        Assert.Equal(first, second);
        Assert.NotEqual(first, otherSecret);
    }

    [Fact]
    public void AmzDate_FormatsUtcBasicIso8601()
    {
        Assert.Equal("20150830T123600Z", SigV4Signer.AmzDate(new DateTimeOffset(2015, 8, 30, 14, 36, 0, TimeSpan.FromHours(2))));
    }
}
