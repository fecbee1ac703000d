using System.Buffers;
using StreamKit.Avro.Container;
using StreamKit.Avro.Framing;

namespace StreamKit.Avro.Tests;

public class AllocationTests
{
    private const int Attempts = 3;
    private const int Warmup = 1_000;
    private const int Measured = 2_000;

    /// <summary>The most times <see cref="AssertNoAllocation"/> may call its iteration.</summary>
    private const int MaxIterations = Attempts * (Warmup + Measured);

    private static void AssertNoAllocation(Action iteration)
    {
        // A per-iteration allocation shows in every measured round of 2,000. Tiered compilation promoting a method can
        // put a few hundred bytes on this thread once (seen: 280 B after a 50-iteration warm-up), so a round that
        // allocated is measured again after more warm-up, up to three times.
        long allocated = 0;
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            for (var i = 0; i < Warmup; i++)
            {
                iteration();
            }

            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < Measured; i++)
            {
                iteration();
            }

            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated == 0)
            {
                break;
            }
        }

        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Decoder_SteadyState_AllocatesNothing()
    {
        var encoder = new AvroEncoder<Click>(Clicks.Map, "Click");
        var decoder = new AvroDecoder<Click>(encoder.Schema, Clicks.Map);
        var payloads = Clicks.Generate(64).Select(c => Clicks.Encode(encoder, c)).ToArray();
        var n = 0;
        AssertNoAllocation(() =>
        {
            var click = default(Click);
            Assert.True(decoder.TryDecode(payloads[n++ % payloads.Length], ref click, out _));
        });
    }

    [Fact]
    public void Decoder_ResolvingUnionsEnumsAndSkips_AllocatesNothing()
    {
        var writer = global::Avro.Schema.Parse("""
            {"type":"record","name":"Click","fields":[
              {"name":"skipMe","type":{"type":"map","values":["null","string"]}},
              {"name":"ts","type":"long"},{"name":"userId","type":["null","int"]},{"name":"pageId","type":"int"},
              {"name":"eventType","type":{"type":"enum","name":"E","symbols":["view","click"]}},
              {"name":"durationMs","type":"int"},{"name":"revenue","type":"float"},{"name":"isBot","type":"boolean"},
              {"name":"referrer","type":["null","string"]}]}
            """);
        var payload = TestDatumWriter.Write(writer, new Dictionary<string, object?>
        {
            ["skipMe"] = new Dictionary<string, object?> { ["a"] = "b", ["c"] = null },
            ["ts"] = 1L, ["userId"] = 2, ["pageId"] = 3, ["eventType"] = new TestDatumWriter.EnumSymbol("click"),
            ["durationMs"] = 4, ["revenue"] = 0.5f, ["isBot"] = true, ["referrer"] = "x",
        });
        var decoder = new AvroDecoder<Click>(writer, Clicks.Map);
        AssertNoAllocation(() =>
        {
            var click = default(Click);
            Assert.True(decoder.TryDecode(payload, ref click, out _));
        });
    }

    [Fact]
    public void Encoder_SteadyState_AllocatesNothing()
    {
        var encoder = new AvroEncoder<Click>(Clicks.Map, "Click");
        var framed = new AvroFramedEncoder<Click>(encoder, AvroFraming.SingleObject);
        var clicks = Clicks.Generate(64);
        var buffer = new ArrayBufferWriter<byte>(1024);
        var n = 0;
        AssertNoAllocation(() =>
        {
            buffer.ResetWrittenCount();
            framed.Encode(in clicks[n++ % clicks.Length], buffer);
        });
    }

    [Fact]
    public void FramedDecoder_SteadyState_AllocatesNothing()
    {
        var encoder = new AvroEncoder<Click>(Clicks.Map, "Click");
        var payloads = Clicks.Generate(16).Select(c =>
        {
            var buffer = new ArrayBufferWriter<byte>();
            new AvroFramedEncoder<Click>(encoder, AvroFraming.SchemaRegistry, 7).Encode(in c, buffer);
            return buffer.WrittenSpan.ToArray();
        }).ToArray();
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(encoder.Schema, 7), AvroFraming.SchemaRegistry);
        var n = 0;
        AssertNoAllocation(() =>
        {
            var click = default(Click);
            Assert.True(decoder.TryDecode(payloads[n++ % payloads.Length], ref click, out _));
        });
    }

    [Fact]
    public void ContainerReader_NullCodecRecords_AllocateNothingPerRecord()
    {
        // One record per iteration, and enough for every attempt: a loaded machine can make the first attempt allocate
        // (tiered compilation) and the retry must not run off the end of the file.
        var file = ContainerTests.WriteFile(Clicks.Generate(MaxIterations), AvroCodec.Null, blockSize: 4096);
        using var reader = new AvroContainerReader(new MemoryStream(file));
        var decoder = reader.CreateDecoder(Clicks.Map);
        AssertNoAllocation(() =>
        {
            // Assert.Equal allocates through xunit's comparer; a plain comparison keeps the measurement clean.
            Assert.True(reader.Read(out var bytes, out _) == AvroReadStatus.Record);
            var click = default(Click);
            Assert.True(decoder.TryDecode(bytes, ref click, out _));
        });
    }
}
