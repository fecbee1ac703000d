using System.Globalization;
using Avro;
using Avro.File;
using Avro.Generic;
using Avro.Specific;
using StreamKit.Avro.Container;
using StreamKit.Avro.Framing;
using StreamKit.Files;

namespace StreamKit.Avro.Tests.Interop;

/// <summary>StreamKit's container files against Apache.Avro's DataFileWriter and DataFileReader, both directions, generic and specific records.</summary>
public class ApacheAvroTests
{
    /// <summary>Apache.Avro's writer schema: reordered fields, int for the long pageId, an extra map, a [null, string] referrer, another name.</summary>
    private static readonly RecordSchema s_writerSchema = (RecordSchema)Schema.Parse("""
        {"type":"record","name":"Click","namespace":"apache.clicks","fields":[
          {"name":"eventType","type":"string"},
          {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"userId","type":"long"},
          {"name":"tags","type":{"type":"map","values":["null","long"]}},
          {"name":"pageId","type":"int"},
          {"name":"referrer","type":["null","string"],"default":null},
          {"name":"durationMs","type":"int"},
          {"name":"revenue","type":"double"},
          {"name":"isBot","type":"boolean"}]}
        """);

    public static TheoryData<Codec.Type> Codecs() => [Codec.Type.Null, Codec.Type.Deflate];

    private static string Describe(long ts, long user, long page, string evt, long dur, double rev, bool bot, string? referrer) =>
        string.Create(CultureInfo.InvariantCulture, $"{ts}|{user}|{page}|{evt}|{dur}|{rev:R}|{bot}|{referrer ?? "-"}");

    private static string Describe(Click c) =>
        Describe(c.Ts, c.UserId, c.PageId, Clicks.Text(c.EventType), c.DurationMs, c.Revenue, c.IsBot, c.Referrer == 0 ? null : Clicks.Text(c.Referrer - 1));

    private static long Millis(DateTime t) => (t.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerMillisecond;

    private static DateTime Time(long millis) => DateTime.UnixEpoch.AddMilliseconds(millis);

    /// <summary>Varied values: multi-byte UTF-8, negative and extreme numbers, absent and empty referrers.</summary>
    private static List<(long Ts, long User, int Page, string Event, int Dur, double Rev, bool Bot, string? Referrer)> Values(int count)
    {
        var random = new Random(23);
        var values = new List<(long, long, int, string, int, double, bool, string?)>();
        for (var i = 0; i < count; i++)
        {
            values.Add((
                1_700_000_000_000L + (i * 1013L),
                i == 0 ? long.MinValue : i == 1 ? long.MaxValue : random.NextInt64(-5_000_000_000L, 5_000_000_000L),
                i == 2 ? int.MinValue : random.Next(-1000, 100_000),
                Clicks.EventTypes[random.Next(Clicks.EventTypes.Length)] + (i % 5 == 0 ? " ✓ é" : ""),
                random.Next(-10, 600_000),
                Math.Round(random.NextDouble() * 1000, 3),
                random.Next(4) == 0,
                (i % 3) switch { 0 => null, 1 => "", _ => "https://r.example/" + i }));
        }

        return values;
    }

    /// <summary>Reads a container file the way a pipeline does: <see cref="FileSource"/> with <see cref="AvroFormat"/>, then <see cref="AvroFramedDecoder{T}"/>.</summary>
    private static async Task<List<string>> ReadThroughSourceAsync(string path)
    {
        var format = new AvroFormat();
        var records = await FileReading.ReadAllAsync(new FileSource(path, new FileSourceOptions { Formats = [format] }), capacity: 100);
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, format.Schemas, AvroFraming.SingleObject);
        var read = new List<string>();
        foreach (var record in records)
        {
            Assert.Null(record.Error);
            var click = default(Click);
            Assert.True(decoder.TryDecode(record.Payload, ref click, out var error), error);
            read.Add(Describe(click));
        }

        return read;
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task ApacheWritesGenericRecords_StreamKitReadsEqualContent(Codec.Type codec)
    {
        var values = Values(2_500);
        var path = TestPaths.TempFile(".avro");
        using (var writer = DataFileWriter<GenericRecord>.OpenWriter(new GenericDatumWriter<GenericRecord>(s_writerSchema), path, Codec.CreateCodec(codec)))
        {
            writer.SetSyncInterval(4096); // several blocks
            foreach (var v in values)
            {
                var record = new GenericRecord(s_writerSchema);
                record.Add("eventType", v.Event);
                record.Add("ts", Time(v.Ts));
                record.Add("userId", v.User);
                record.Add("tags", new Dictionary<string, object?> { ["a"] = v.User, ["b"] = null });
                record.Add("pageId", v.Page);
                record.Add("referrer", v.Referrer);
                record.Add("durationMs", v.Dur);
                record.Add("revenue", v.Rev);
                record.Add("isBot", v.Bot);
                writer.Append(record);
            }
        }

        var expected = values.Select(static v => Describe(v.Ts, v.User, v.Page, v.Event, v.Dur, v.Rev, v.Bot, v.Referrer)).ToList();
        Assert.Equal(expected, await ReadThroughSourceAsync(path));

        using var reader = new AvroContainerReader(File.OpenRead(path));
        Assert.Equal(codec == Codec.Type.Deflate ? AvroCodec.Deflate : AvroCodec.Null, reader.Codec);
        Assert.Equal(SchemaNormalization.ToParsingForm(s_writerSchema), SchemaNormalization.ToParsingForm(reader.WriterSchema));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public async Task ApacheWritesSpecificRecords_StreamKitReadsEqualContent(Codec.Type codec)
    {
        var values = Values(2_000);
        var path = TestPaths.TempFile(".avro");
        using (var writer = DataFileWriter<SpecificClick>.OpenWriter(new SpecificDatumWriter<SpecificClick>(SpecificClick._SCHEMA), path, Codec.CreateCodec(codec)))
        {
            writer.SetSyncInterval(4096);
            foreach (var v in values)
            {
                writer.Append(new SpecificClick
                {
                    ts = Time(v.Ts), userId = v.User, pageId = v.Page, eventType = v.Event, durationMs = v.Dur, revenue = v.Rev, isBot = v.Bot, referrer = v.Referrer,
                });
            }
        }

        var expected = values.Select(static v => Describe(v.Ts, v.User, v.Page, v.Event, v.Dur, v.Rev, v.Bot, v.Referrer)).ToList();
        Assert.Equal(expected, await ReadThroughSourceAsync(path));
        Assert.Equal(expected, ContainerTests.ReadAll(File.ReadAllBytes(path)).Select(static r => Describe(r.Click)));
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void StreamKitWrites_ApacheGenericReaderReadsEqualContent(Codec.Type codec)
    {
        var clicks = Clicks.Generate(3_000, seed: 8);
        var file = ContainerTests.WriteFile(clicks, codec == Codec.Type.Deflate ? AvroCodec.Deflate : AvroCodec.Null, blockSize: 8 * 1024);

        using var reader = DataFileReader<GenericRecord>.OpenReader(new MemoryStream(file));
        Assert.Equal(codec == Codec.Type.Deflate ? "deflate" : "null", reader.GetMetaString("avro.codec"));
        var read = new List<string>();
        while (reader.HasNext())
        {
            var r = reader.Next();
            read.Add(Describe(Millis((DateTime)r["ts"]), (long)r["userId"], (long)r["pageId"], (string)r["eventType"], (int)r["durationMs"], (double)r["revenue"], (bool)r["isBot"], (string)r["referrer"]));
        }

        Assert.Equal(clicks.Select(Describe), read);
    }

    [Theory]
    [MemberData(nameof(Codecs))]
    public void StreamKitFileSink_ApacheSpecificReaderReadsEqualContent(Codec.Type codec)
    {
        var clicks = Clicks.Generate(1_500, seed: 9);
        var path = TestPaths.TempFile(".avro");
        var format = new AvroFileWriterFormat<Click>(
            new AvroEncoder<Click>(Clicks.Map, "Click", "streamkit.tests"),
            new AvroContainerWriterOptions { Codec = codec == Codec.Type.Deflate ? AvroCodec.Deflate : AvroCodec.Null, BlockSize = 4096 });
        using (var stream = File.Create(path))
        using (var writer = format.Create(stream))
        {
            writer.Write(clicks.AsSpan(0, 700));
            writer.Flush();
            writer.Write(clicks.AsSpan(700));
        }

        // The reader schema is the specific class's; its alias names StreamKit's record, as schema resolution requires.
        using var reader = DataFileReader<SpecificClick>.OpenReader(File.OpenRead(path), SpecificClick._SCHEMA);
        var read = new List<string>();
        while (reader.HasNext())
        {
            var c = reader.Next();
            read.Add(Describe(Millis(c.ts), c.userId, c.pageId, c.eventType, c.durationMs, c.revenue, c.isBot, c.referrer));
        }

        Assert.Equal(clicks.Select(Describe), read);
    }
}

/// <summary>A click as avrogen generates a specific record: public fields, the schema, and Get/Put by field position.</summary>
/// <remarks>
/// The schema's full name is this class's, so Apache.Avro's SpecificDatumReader finds the class by name (its
/// ObjectCreator uses reflection); the alias lets it read files StreamKit wrote as <c>streamkit.tests.Click</c>.
/// </remarks>
public sealed class SpecificClick : ISpecificRecord
{
    public static readonly Schema _SCHEMA = Schema.Parse("""
        {"type":"record","name":"SpecificClick","namespace":"StreamKit.Avro.Tests.Interop","aliases":["streamkit.tests.Click"],"fields":[
          {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
          {"name":"userId","type":"long"},
          {"name":"pageId","type":"long"},
          {"name":"eventType","type":"string"},
          {"name":"durationMs","type":"int"},
          {"name":"revenue","type":"double"},
          {"name":"isBot","type":"boolean"},
          {"name":"referrer","type":["null","string"],"default":null}]}
        """);

    public DateTime ts;
    public long userId;
    public long pageId;
    public string eventType = "";
    public int durationMs;
    public double revenue;
    public bool isBot;
    public string? referrer;

    public Schema Schema => _SCHEMA;

    public object? Get(int fieldPos) => fieldPos switch
    {
        0 => ts,
        1 => userId,
        2 => pageId,
        3 => eventType,
        4 => durationMs,
        5 => revenue,
        6 => isBot,
        7 => referrer,
        _ => throw new AvroRuntimeException("Bad index " + fieldPos + " in Get()"),
    };

    public void Put(int fieldPos, object? fieldValue)
    {
        switch (fieldPos)
        {
            case 0: ts = (DateTime)fieldValue!; break;
            case 1: userId = (long)fieldValue!; break;
            case 2: pageId = (long)fieldValue!; break;
            case 3: eventType = (string)fieldValue!; break;
            case 4: durationMs = (int)fieldValue!; break;
            case 5: revenue = (double)fieldValue!; break;
            case 6: isBot = (bool)fieldValue!; break;
            case 7: referrer = (string?)fieldValue; break;
            default: throw new AvroRuntimeException("Bad index " + fieldPos + " in Put()");
        }
    }
}
