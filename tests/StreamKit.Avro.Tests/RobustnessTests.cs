using System.Buffers;
using StreamKit.Avro.Framing;
using Avro;

namespace StreamKit.Avro.Tests;

public class RobustnessTests
{
    private static readonly Schema s_rich = Schema.Parse("""
        {"type":"record","name":"Click","fields":[
          {"name":"nested","type":["null",{"type":"record","name":"N","fields":[{"name":"tags","type":{"type":"array","items":["null","string"]}},{"name":"attrs","type":{"type":"map","values":"long"}}]}]},
          {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"userId","type":["null","long"]},
          {"name":"pageId","type":"int"},
          {"name":"eventType","type":{"type":"enum","name":"E","symbols":["view","click"]}},
          {"name":"durationMs","type":"int"},
          {"name":"revenue","type":"float"},
          {"name":"isBot","type":"boolean"},
          {"name":"referrer","type":["null","bytes"]},
          {"name":"id","type":{"type":"fixed","name":"Id","size":4}}]}
        """);

    private static byte[] RichPayload() => TestDatumWriter.Write(s_rich, new Dictionary<string, object?>
    {
        ["nested"] = new Dictionary<string, object?> { ["tags"] = new List<object?> { "a", null, "" }, ["attrs"] = new Dictionary<string, object?> { ["k"] = -3L } },
        ["ts"] = 1_700_000_000_000L,
        ["userId"] = 123456789012L,
        ["pageId"] = 17,
        ["eventType"] = new TestDatumWriter.EnumSymbol("click"),
        ["durationMs"] = -5,
        ["revenue"] = 1.25f,
        ["isBot"] = false,
        ["referrer"] = "r"u8.ToArray(),
        ["id"] = new byte[] { 1, 2, 3, 4 },
    });

    [Fact]
    public void TryDecode_TruncatedAtEveryOffset_FailsWithoutThrowing()
    {
        var decoder = new AvroDecoder<Click>(s_rich, Clicks.Map);
        var payload = RichPayload();
        var click = default(Click);
        Assert.True(decoder.TryDecode(payload, ref click, out var error), error);
        for (var cut = 0; cut < payload.Length; cut++)
        {
            click = default;
            Assert.False(decoder.TryDecode(payload.AsSpan(0, cut), ref click, out error));
            Assert.False(string.IsNullOrEmpty(error));
        }
    }

    [Fact]
    public void TryDecode_RandomByteFlips_NeverThrows()
    {
        var decoder = new AvroDecoder<Click>(s_rich, Clicks.Map);
        var payload = RichPayload();
        var random = new Random(1);
        for (var trial = 0; trial < 20_000; trial++)
        {
            var copy = (byte[])payload.Clone();
            for (var flips = random.Next(1, 4); flips > 0; flips--)
            {
                copy[random.Next(copy.Length)] = (byte)random.Next(256);
            }

            var click = default(Click);
            var ok = decoder.TryDecode(copy, ref click, out var error);
            Assert.True(ok == (error is null));
        }
    }

    [Fact]
    public void TryDecode_RandomGarbage_NeverThrows()
    {
        var decoders = new StreamKit.Codecs.IRecordDecoder<Click>[]
        {
            new AvroDecoder<Click>(s_rich, Clicks.Map),
            new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(s_rich, 1), AvroFraming.SchemaRegistry),
            new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(s_rich), AvroFraming.SingleObject),
        };
        var random = new Random(2);
        var buffer = new byte[64];
        for (var trial = 0; trial < 20_000; trial++)
        {
            random.NextBytes(buffer);
            if (trial % 2 == 0)
            {
                buffer[0] = 0;
                buffer[1] = 0;
                buffer[2] = 0;
                buffer[3] = 0;
                buffer[4] = 1;
            }

            foreach (var decoder in decoders)
            {
                var click = default(Click);
                decoder.TryDecode(buffer.AsSpan(0, random.Next(buffer.Length)), ref click, out _);
            }
        }
    }

    [Fact]
    public void AvroReader_TruncatedRichValueAtEveryOffset_SkipFailsCleanly()
    {
        var payload = RichPayload();
        var plan = StreamKit.Avro.Binary.AvroSkipPlan.Compile(s_rich);
        for (var cut = 0; cut < payload.Length; cut++)
        {
            var reader = new StreamKit.Avro.Binary.AvroReader(payload.AsSpan(0, cut));
            Assert.False(reader.TrySkip(plan));
            Assert.Equal(0, reader.Position);
        }
    }

    [Fact]
    public void FramedEncoder_TruncatedSingleObject_FailsAtEveryOffset()
    {
        var encoder = new AvroEncoder<Click>(Clicks.Map, "Click");
        var buffer = new ArrayBufferWriter<byte>();
        new AvroFramedEncoder<Click>(encoder, AvroFraming.SingleObject).Encode(Clicks.Generate(1)[0], buffer);
        var message = buffer.WrittenSpan.ToArray();
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(encoder.Schema), AvroFraming.SingleObject);
        for (var cut = 0; cut < message.Length; cut++)
        {
            var click = default(Click);
            Assert.False(decoder.TryDecode(message.AsSpan(0, cut), ref click, out _));
        }
    }
}
