using System.Buffers;
using StreamKit.Records;

namespace StreamKit.Avro.Tests;

/// <summary>Byte and enum fields of a <see cref="RecordMap{T}"/> through Avro.</summary>
public sealed class ByteEnumFieldTests
{
    private static readonly RecordMap<Reading> s_map = new RecordMap<Reading>()
        .Byte("level", static (ref Reading r, byte v) => r.Level = v, static (in Reading r) => r.Level)
        .Enum("kind", static (ref Reading r, Kind v) => r.Kind = v, static (in Reading r) => r.Kind);

    public enum Kind
    {
        View,
        Click,
    }

    [Theory]
    [InlineData((byte)0, Kind.View)]
    [InlineData((byte)255, Kind.Click)]
    [InlineData((byte)3, (Kind)5)]
    public void EncodeDecode_ByteAndEnum_RoundTrip(byte level, Kind kind)
    {
        var encoder = new AvroEncoder<Reading>(s_map, "Reading");
        var output = new ArrayBufferWriter<byte>();
        encoder.Encode(new Reading { Level = level, Kind = kind }, output);

        var decoded = default(Reading);
        Assert.True(new AvroDecoder<Reading>(encoder.Schema, s_map).TryDecode(output.WrittenSpan, ref decoded, out var error), error);
        Assert.Equal(new Reading { Level = level, Kind = kind }, decoded);
    }

    [Fact]
    public void Schema_ByteIsIntAndEnumIsString()
    {
        var schema = new AvroEncoder<Reading>(s_map, "Reading").Schema;

        Assert.Equal("int", schema["level"].Schema.Name);
        Assert.Equal("string", schema["kind"].Schema.Name);
    }

    [Fact]
    public void Decode_WriterEnumSymbol_FillsEnumField()
    {
        var writer = (global::Avro.RecordSchema)global::Avro.Schema.Parse("""
            {"type":"record","name":"Reading","fields":[
              {"name":"level","type":"int"},
              {"name":"kind","type":{"type":"enum","name":"K","symbols":["view","click"]}}]}
            """);
        var datum = new global::Avro.Generic.GenericRecord(writer);
        datum.Add("level", 9);
        datum.Add("kind", new global::Avro.Generic.GenericEnum((global::Avro.EnumSchema)writer["kind"].Schema, "click"));
        using var stream = new MemoryStream();
        new global::Avro.Generic.GenericDatumWriter<global::Avro.Generic.GenericRecord>(writer).Write(datum, new global::Avro.IO.BinaryEncoder(stream));

        var decoded = default(Reading);
        Assert.True(new AvroDecoder<Reading>(writer, s_map).TryDecode(stream.ToArray(), ref decoded, out var error), error);
        Assert.Equal(new Reading { Level = 9, Kind = Kind.Click }, decoded);
    }

    private struct Reading
    {
        public byte Level;
        public Kind Kind;
    }
}
