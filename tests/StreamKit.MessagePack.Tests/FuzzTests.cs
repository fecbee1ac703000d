
namespace StreamKit.MessagePack.Tests;

/// <summary>
/// The MessagePack decoder (on MessagePack-CSharp's reader) fed random bytes and damaged records through a runner:
/// nothing throws, every payload is decoded or dead-lettered with its bytes, position and a reason, and the intact
/// records among the damaged ones decode as written.
/// </summary>
/// <remarks>
/// Each record carries an unknown field the decoder skips, nested up to twice <see cref="MessagePackFraming.MaxDepth"/>
/// deep, and the mutations insert str/bin/array/map headers with huge lengths and counts. Files are fuzzed by
/// MessagePackFileTests' mutation tests.
/// </remarks>
public class FuzzTests
{
    [Fact]
    public async Task Run_RandomAndMutatedRecordsAmongIntactOnes_EveryRecordDecodedOrDeadLettered()
    {
        var rejected = 0;
        await Seeds.ForEachAsync(500, async (_, random) =>
        {
            var codec = new ClickCodec();
            var payloads = new List<FuzzPayload<Click>>();
            for (var i = random.Next(1, 30); i > 0; i--)
            {
                var (record, expected) = Record(codec, random);
                payloads.Add(random.Next(4) switch
                {
                    0 => new(record, expected),
                    1 => new(Fuzz.RandomBytes(random, 100), null),
                    _ => new(Fuzz.Mutate(record, random), null),
                });
            }

            var dead = await DecoderRun.AssertAccountedAsync(new MessagePackDecoder<Click>(codec.Map), new MessagePackDecoder<Click>(codec.Map), payloads, static (a, b) => a.Equals(b), batchSize: random.Next(1, 64));
            Interlocked.Add(ref rejected, dead);
        });

        Assert.True(rejected > 2000, $"only {rejected} payloads were rejected: the mutations are too mild to test anything");
    }

    /// <summary>A valid record with an extra nested field, and the click it decodes to (none when nested past the decoder's depth cap).</summary>
    private static (byte[] Record, Click? Expected) Record(ClickCodec codec, Random random)
    {
        var click = new Click
        {
            Ts = 1_700_000_000_000 + random.Next(),
            UserId = random.Next(int.MinValue, int.MaxValue),
            PageId = random.Next(),
            EventType = (EventKind)random.Next(3),
            DurationMs = random.Next(),
            Revenue = random.Next(-100_000, 100_000) / 16.0,
            Mobile = random.Next(2) == 0,
            CountryId = codec.Countries.GetOrAdd(System.Text.Encoding.UTF8.GetBytes(random.Next(3) == 0 ? "" : "c" + random.Next(20))),
            SessionId = random.NextInt64(),
        };
        var encoded = codec.Encode(click);
        Assert.Equal(0x89, encoded[0]); // a fixmap of the nine fields: one more entry is a header change

        var depth = random.Next(4) == 0 ? random.Next(1, 2 * MessagePackFraming.MaxDepth) : random.Next(1, 4);
        byte[] record = [0x8a, .. encoded.AsSpan(1), 0xa5, .. "extra"u8, .. Bytes.Nested(depth)];
        return (record, depth < MessagePackFraming.MaxDepth - 2 ? click : null);
    }
}
