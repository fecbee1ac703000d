using System.Globalization;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Files;
using StreamKit.Core.Tests.Runtime;

namespace StreamKit.Core.Tests.Codecs;

/// <summary>The JSON lines decoder fed random bytes and damaged lines: it never throws, and every bad line is dead-lettered with its bytes, position and a reason.</summary>
public class JsonLinesFuzzTests
{
    private static readonly string[] s_pages = ["home", "cart", "caf\u00e9", "a\\\"quoted\\\"", "\\u00e9t\\u00e9", "\\ud83d\\ude00"];

    [Fact]
    public async Task Run_RandomAndMutatedLinesAmongIntactOnes_EveryLineDecodedOrDeadLettered()
    {
        var rejected = 0;
        await Seeds.ForEachAsync(600, async (_, random) =>
        {
            var codec = new VisitCodec();
            var payloads = new List<FuzzPayload<Visit>>();
            for (var i = random.Next(1, 40); i > 0; i--)
            {
                var (line, expected) = Line(random, codec);
                payloads.Add(random.Next(5) switch
                {
                    0 => new(line, expected),
                    1 => new(Fuzz.RandomBytes(random, 80), null),
                    2 or 3 => new(Fuzz.Mutate(line, random), null),
                    _ => new(Fuzz.MutateJson(line, random, rate: 0.15), null),
                });
            }

            var dead = await DecoderRun.AssertAccountedAsync(
                new JsonLinesDecoder<Visit>(codec.Map) { MaxRecordBytes = random.Next(2) == 0 ? 1 << 20 : 4096 },
                new JsonLinesDecoder<Visit>(codec.Map) { MaxRecordBytes = 1 << 20 },
                payloads,
                static (a, b) => a.Equals(b),
                batchSize: random.Next(1, 64));
            Interlocked.Add(ref rejected, dead);
        });

        Assert.True(rejected > 1000, $"only {rejected} payloads were rejected: the mutations are too mild to test anything");
    }

    [Fact]
    public void TryDecode_HostileValues_RejectedWithAReason()
    {
        var decoder = new JsonLinesDecoder<Visit>(new VisitCodec().Map);
        string[] lines =
        [
            "{\"ts\":1,\"userId\":2,\"page\":\"home\",\"x\":" + new string('[', 100_000) + new string(']', 100_000) + "}",
            "{\"ts\":1,\"userId\":2,\"page\":\"home\",\"x\":" + string.Concat(Enumerable.Repeat("{\"a\":", 5_000)) + "1" + new string('}', 5_000) + "}",
            "{\"ts\":1e400,\"userId\":2,\"page\":\"home\"}",
            "{\"ts\":1,\"userId\":99999999999,\"page\":\"home\"}",
            "{\"ts\":1,\"userId\":2,\"page\":\"" + new string('x', 2 << 20) + "\"}",
            "{\"ts\":\"+999999-01-01T00:00:00Z\",\"userId\":2,\"page\":\"home\"}",
            "{\"ts\":\"\\ud800\",\"userId\":2,\"page\":\"home\"}", // found by the fuzz test: threw InvalidOperationException
            "{\"ts\":\"2024-01-01T00:00:00\\udc00Z\",\"userId\":2,\"page\":\"home\"}",
        ];

        foreach (var line in lines)
        {
            var visit = default(Visit);
            Assert.False(decoder.TryDecode(Encoding.UTF8.GetBytes(line), ref visit, out var error));
            Assert.False(string.IsNullOrWhiteSpace(error));
        }
    }

    /// <summary>A valid line with every field kind, escapes and ignored nested fields, and the visit it decodes to.</summary>
    private static (byte[] Line, Visit Expected) Line(Random random, VisitCodec codec)
    {
        var page = s_pages[random.Next(s_pages.Length)];
        var text = System.Text.Json.JsonDocument.Parse($"\"{page}\"").RootElement.GetString()!;
        codec.Pages.TryGetOrAdd(Encoding.UTF8.GetBytes(text), out var pageId);
        var expected = new Visit
        {
            Ts = 1_704_067_200_000 + random.Next(),
            UserId = random.Next(int.MinValue, int.MaxValue),
            SessionId = random.NextInt64(),
            Amount = random.Next(-100_000, 100_000) / 8.0,
            IsBot = random.Next(2) == 0,
            Page = pageId,
        };
        var fields = new List<string>
        {
            $"\"ts\":{expected.Ts}",
            $"\"userId\":{expected.UserId}",
            $"\"sessionId\":{expected.SessionId}",
            $"\"amount\":{expected.Amount.ToString("R", CultureInfo.InvariantCulture)}",
            $"\"bot\":{(expected.IsBot ? "true" : "false")}",
            $"\"page\":\"{page}\"",
            "\"ignored\":{\"a\":[1,{\"b\":\"}\"}],\"c\":null}",
        };
        var shuffled = fields.OrderBy(_ => random.Next());
        return (Encoding.UTF8.GetBytes("{" + string.Join(',', shuffled) + "}"), expected);
    }
}
