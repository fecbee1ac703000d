using System.Buffers;
using StreamKit.Avro.Framing;
using StreamKit.Codecs;
using Avro;

namespace StreamKit.Avro.Tests;

/// <summary>
/// The Avro decoders (bare bodies, single-object and schema-registry framing) fed random bytes and damaged records
/// through a runner: nothing throws, every payload is decoded or dead-lettered with its bytes, position and a reason,
/// and the intact records among the damaged ones decode as written.
/// </summary>
/// <remarks>
/// The writer schema has fields the reader's map skips — arrays and maps (huge counts and lengths when damaged) and a
/// recursive record (deep nesting, up to 400 nodes, past the reader's depth cap) — so skipping is fuzzed as well as reading. Container files are
/// fuzzed by AvroFileTests' mutation tests.
/// </remarks>
public class FuzzTests
{
    private const int SchemaId = 7;

    private static readonly Schema s_writer = Schema.Parse("""
        {"type":"record","name":"Click","fields":[
          {"name":"tags","type":{"type":"array","items":["null","string"]}},
          {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"userId","type":"long"},
          {"name":"attrs","type":{"type":"map","values":{"type":"array","items":"long"}}},
          {"name":"pageId","type":"long"},
          {"name":"eventType","type":"string"},
          {"name":"chain","type":["null",{"type":"record","name":"Node","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","Node"]}]}]},
          {"name":"durationMs","type":"int"},
          {"name":"revenue","type":"double"},
          {"name":"isBot","type":"boolean"},
          {"name":"referrer","type":["null","string"]},
          {"name":"id","type":{"type":"fixed","name":"Id","size":4}}]}
        """);

    [Theory]
    [InlineData(null)]
    [InlineData(AvroFraming.SingleObject)]
    [InlineData(AvroFraming.SchemaRegistry)]
    public async Task Run_RandomAndMutatedRecordsAmongIntactOnes_EveryRecordDecodedOrDeadLettered(AvroFraming? framing)
    {
        var rejected = 0;
        await Seeds.ForEachAsync(300, async (_, random) =>
        {
            var header = Header(framing);
            var payloads = new List<FuzzPayload<Click>>();
            for (var i = random.Next(1, 30); i > 0; i--)
            {
                var (body, expected) = Record(random);
                payloads.Add(random.Next(5) switch
                {
                    0 => new([.. header, .. body], expected),
                    1 => new(Fuzz.RandomBytes(random, 100), null),
                    2 => new(Fuzz.Mutate([.. header, .. body], random), null),
                    _ => new([.. header, .. Fuzz.Mutate(body, random)], null), // the header intact, so the body is read
                });
            }

            var dead = await DecoderRun.AssertAccountedAsync(Decoder(framing), Decoder(framing), payloads, static (a, b) => a.Equals(b), batchSize: random.Next(1, 64));
            Interlocked.Add(ref rejected, dead);
        });

        Assert.True(rejected > 1000, $"only {rejected} payloads were rejected: the mutations are too mild to test anything");
    }

    private static IRecordDecoder<Click> Decoder(AvroFraming? framing) => framing switch
    {
        null => new AvroDecoder<Click>(s_writer, Clicks.Map),
        { } f => new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(s_writer, SchemaId), f),
    };

    private static byte[] Header(AvroFraming? framing)
    {
        var buffer = new ArrayBufferWriter<byte>();
        if (framing == AvroFraming.SingleObject)
        {
            AvroSingleObject.WriteHeader(buffer, AvroSchemas.Fingerprint(s_writer));
        }
        else if (framing == AvroFraming.SchemaRegistry)
        {
            AvroSchemaRegistryFormat.WriteHeader(buffer, SchemaId);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>A valid body and the click it decodes to.</summary>
    /// <remarks>A chain nested past <see cref="Binary.AvroReader.MaxDepth"/> (two levels per node) is valid Avro that the decoder refuses by design: it has no expected click.</remarks>
    private static (byte[] Body, Click? Expected) Record(Random random)
    {
        var eventType = Clicks.EventTypes[random.Next(Clicks.EventTypes.Length)];
        var referrer = random.Next(3) == 0 ? null : "https://ref.example/" + random.Next(5);
        var expected = new Click
        {
            Ts = 1_700_000_000_000L + random.Next(),
            UserId = random.NextInt64(long.MinValue, long.MaxValue),
            PageId = random.Next(),
            EventType = Clicks.Id(eventType),
            DurationMs = random.Next(int.MinValue, int.MaxValue),
            Revenue = random.Next(-100_000, 100_000) / 16.0,
            IsBot = random.Next(2) == 0,
            Referrer = referrer is null ? 0 : Clicks.Id(referrer) + 1,
        };

        object? chain = null;
        var nodes = random.Next(4) == 0 ? random.Next(400) : random.Next(3);
        for (var depth = nodes; depth > 0; depth--)
        {
            chain = new Dictionary<string, object?> { ["v"] = depth, ["next"] = chain };
        }

        var body = TestDatumWriter.Write(s_writer, new Dictionary<string, object?>
        {
            ["tags"] = Enumerable.Range(0, random.Next(5)).Select(i => i % 2 == 0 ? null : (object)("t" + i)).ToList(),
            ["ts"] = expected.Ts,
            ["userId"] = expected.UserId,
            ["attrs"] = Enumerable.Range(0, random.Next(4)).ToDictionary(i => "k" + i, i => (object?)Enumerable.Range(0, i).Select(j => (object)(long)j).ToList()),
            ["pageId"] = expected.PageId,
            ["eventType"] = eventType,
            ["chain"] = chain,
            ["durationMs"] = expected.DurationMs,
            ["revenue"] = expected.Revenue,
            ["isBot"] = expected.IsBot,
            ["referrer"] = referrer,
            ["id"] = new byte[] { 1, 2, 3, 4 },
        });
        return (body, 2 * (nodes + 1) < Binary.AvroReader.MaxDepth ? expected : null);
    }
}
