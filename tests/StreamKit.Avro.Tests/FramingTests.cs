using System.Buffers;
using StreamKit.Avro.Framing;
using Avro;

namespace StreamKit.Avro.Tests;

public class FramingTests
{
    private static readonly AvroEncoder<Click> s_encoder = new(Clicks.Map, "Click", "streamkit.tests");

    [Fact]
    public void SingleObject_EncodeDecode_RoundTripsWithFingerprintHeader()
    {
        var click = Clicks.Generate(1)[0];
        var buffer = new ArrayBufferWriter<byte>();
        new AvroFramedEncoder<Click>(s_encoder, AvroFraming.SingleObject).Encode(in click, buffer);
        var message = buffer.WrittenSpan.ToArray();
        Assert.Equal(new byte[] { 0xC3, 0x01 }, message[..2]);
        Assert.Equal(unchecked((ulong)SchemaNormalization.ParsingFingerprint64(s_encoder.Schema)), BitConverter.ToUInt64(message, 2));

        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(s_encoder.Schema), AvroFraming.SingleObject);
        var decoded = default(Click);
        Assert.True(decoder.TryDecode(message, ref decoded, out var error), error);
        Assert.Equal(click.ToString(), decoded.ToString());
    }

    [Fact]
    public void SchemaRegistry_EncodeDecode_RoundTripsWithBigEndianId()
    {
        var click = Clicks.Generate(1)[0];
        var buffer = new ArrayBufferWriter<byte>();
        new AvroFramedEncoder<Click>(s_encoder, AvroFraming.SchemaRegistry, schemaId: 0x01020304).Encode(in click, buffer);
        var message = buffer.WrittenSpan.ToArray();
        Assert.Equal(new byte[] { 0, 1, 2, 3, 4 }, message[..5]);

        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(s_encoder.Schema, 0x01020304), AvroFraming.SchemaRegistry);
        var decoded = default(Click);
        Assert.True(decoder.TryDecode(message, ref decoded, out var error), error);
        Assert.Equal(click.ToString(), decoded.ToString());
    }

    [Fact]
    public void SchemaRegistry_TwoIdsOneSchema_ShareOneCompiledProgram()
    {
        var store = new AvroSchemaStore().Add(s_encoder.Schema, 1).Add(Schema.Parse(s_encoder.Schema.ToString()), 2);
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, store, AvroFraming.SchemaRegistry);
        var click = Clicks.Generate(1)[0];
        foreach (var id in new[] { 1, 2, 1, 2 })
        {
            var buffer = new ArrayBufferWriter<byte>();
            new AvroFramedEncoder<Click>(s_encoder, AvroFraming.SchemaRegistry, id).Encode(in click, buffer);
            var decoded = default(Click);
            Assert.True(decoder.TryDecode(buffer.WrittenSpan, ref decoded, out var error), error);
        }

        Assert.Equal(1, decoder.CompiledSchemaCount);
    }

    [Fact]
    public void SchemaRegistry_DifferentWriterSchemas_EachResolved()
    {
        var v2 = (RecordSchema)Schema.Parse("""
            {"type":"record","name":"Click","fields":[
              {"name":"userId","type":"int"},{"name":"ts","type":"long"},{"name":"pageId","type":"long"},{"name":"eventType","type":"string"},
              {"name":"durationMs","type":"int"},{"name":"revenue","type":"float"},{"name":"isBot","type":"boolean"},{"name":"extra","type":"string"}]}
            """);
        var store = new AvroSchemaStore().Add(s_encoder.Schema, 1).Add(v2, 2);
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, store, AvroFraming.SchemaRegistry);
        var buffer = new ArrayBufferWriter<byte>();
        AvroSchemaRegistryFormat.WriteHeader(buffer, 2);
        TestDatumWriter.Write(buffer, v2, new Dictionary<string, object?> { ["userId"] = 5, ["ts"] = 9L, ["pageId"] = 3L, ["eventType"] = "view", ["durationMs"] = 1, ["revenue"] = 0.5f, ["isBot"] = false, ["extra"] = "x" });
        var decoded = default(Click);
        Assert.True(decoder.TryDecode(buffer.WrittenSpan, ref decoded, out var error), error);
        Assert.Equal(5, decoded.UserId);
        Assert.Equal(0.5, decoded.Revenue);
    }

    [Fact]
    public void TryDecode_UnknownIdOrBadHeader_FailsWithReason()
    {
        var store = new AvroSchemaStore();
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, store, AvroFraming.SchemaRegistry);
        var click = default(Click);
        Assert.False(decoder.TryDecode([0, 0, 0, 0, 9, 1], ref click, out var error));
        Assert.Contains("Unknown writer schema id 9", error, StringComparison.Ordinal);
        Assert.False(decoder.TryDecode([1, 0, 0, 0, 9], ref click, out error));
        Assert.Contains("byte 0", error, StringComparison.Ordinal);
        Assert.False(decoder.TryDecode([0, 0], ref click, out _));

        // A schema registered later is found: unknown ids are not cached.
        store.Add(s_encoder.Schema, 9);
        var buffer = new ArrayBufferWriter<byte>();
        new AvroFramedEncoder<Click>(s_encoder, AvroFraming.SchemaRegistry, 9).Encode(Clicks.Generate(1)[0], buffer);
        Assert.True(decoder.TryDecode(buffer.WrittenSpan, ref click, out error), error);

        var single = new AvroFramedDecoder<Click>(Clicks.Map, store, AvroFraming.SingleObject);
        Assert.False(single.TryDecode([0xC3, 0x02, 0, 0, 0, 0, 0, 0, 0, 0], ref click, out error));
        Assert.Contains("C3 01", error, StringComparison.Ordinal);
        Assert.False(single.TryDecode([0xC3, 0x01, 1, 2, 3, 4, 5, 6, 7, 8], ref click, out error));
        Assert.Contains("fingerprint", error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_WriterSchemaDoesNotResolve_FailureCachedAndReported()
    {
        var bad = Schema.Parse("""{"type":"record","name":"Other","fields":[{"name":"x","type":"int"}]}""");
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, new AvroSchemaStore().Add(bad, 3), AvroFraming.SchemaRegistry);
        var click = default(Click);
        for (var i = 0; i < 2; i++)
        {
            Assert.False(decoder.TryDecode([0, 0, 0, 0, 3, 2], ref click, out var error));
            Assert.Contains("does not resolve", error, StringComparison.Ordinal);
        }

        Assert.Equal(1, decoder.CompiledSchemaCount);
    }
}
