using System.Buffers;
using StreamKit.Avro;
using StreamKit.Avro.Container;
using StreamKit.Codecs;
using StreamKit.MessagePack;

namespace Clickstream.Tests;

/// <summary>The sample gives the same answers whatever the input format, and writes every output format readably.</summary>
public sealed class FormatCliTests : IDisposable
{
    private static readonly string s_input = Path.Combine(AppContext.BaseDirectory, "Data", "small.jsonl");
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-formats-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Theory]
    [InlineData("msgpack", "filter")]
    [InlineData("msgpack", "sessions")]
    [InlineData("avro", "tumbling")]
    [InlineData("avro", "hopping")]
    [InlineData("avro", "sessions")]
    public void Run_BinaryInput_SameResultsAsJsonLines(string format, string query)
    {
        var input = Path.Combine(_directory, "events." + format);
        Convert(input, format);

        var expected = Run(s_input, query, "expected.jsonl");
        var actual = Run(input, query, format + ".jsonl");

        Assert.NotEmpty(expected);
        Assert.Equal(expected.Order(StringComparer.Ordinal), actual.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("msgpack")]
    [InlineData("avro")]
    public void Run_BinaryOutput_HoldsTheJsonLinesResults(string format)
    {
        var json = Run(s_input, "tumbling", "out.jsonl");
        Run(s_input, "tumbling", "out." + format);

        var binary = ReadBack(Path.Combine(_directory, "out." + format), format);
        Assert.Equal(json.Order(StringComparer.Ordinal), binary.Order(StringComparer.Ordinal));
    }

    private string[] Run(string input, string query, string outputName)
    {
        var output = Path.Combine(_directory, outputName);
        var (exit, error) = Sample.Execute("--input", input, "--query", query, "--output", output);
        Assert.True(exit == 0, error);
        return outputName.EndsWith(".jsonl", StringComparison.Ordinal) ? File.ReadAllLines(output) : [];
    }

    /// <summary>Re-encodes the valid events of the checked-in JSON lines file as MessagePack or an Avro container.</summary>
    private static void Convert(string path, string format)
    {
        var decoder = new JsonLinesDecoder<ClickEvent>(ClickEvents.Map);
        var events = new List<ClickEvent>();
        foreach (var line in File.ReadLines(s_input))
        {
            var e = default(ClickEvent);
            if (decoder.TryDecode(System.Text.Encoding.UTF8.GetBytes(line), ref e, out _))
            {
                events.Add(e);
            }
        }

        using var file = File.Create(path);
        if (format == "msgpack")
        {
            var encoder = new MessagePackEncoder<ClickEvent>(ClickEvents.Map);
            var buffer = new ArrayBufferWriter<byte>();
            foreach (var e in events)
            {
                encoder.Encode(e, buffer);
            }

            file.Write(buffer.WrittenSpan);
            return;
        }

        var avro = new AvroEncoder<ClickEvent>(ClickEvents.Map, "Click");
        using var writer = new AvroContainerWriter(file, avro.Schema, new AvroContainerWriterOptions { Codec = AvroCodec.Deflate, BlockSize = 4096 });
        foreach (var e in events)
        {
            writer.Append(e, avro);
        }
    }

    /// <summary>Reads a binary result file back into the JSON lines the sample would have written.</summary>
    private static List<string> ReadBack(string path, string format)
    {
        var json = new JsonLinesEncoder<PageWindow>(PageWindow.Map);
        var lines = new List<string>();
        void Add(PageWindow w)
        {
            var buffer = new ArrayBufferWriter<byte>();
            json.Encode(w, buffer);
            lines.Add(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan).TrimEnd('\n'));
        }

        if (format == "msgpack")
        {
            var bytes = File.ReadAllBytes(path).AsSpan();
            var decoder = new MessagePackDecoder<PageWindow>(PageWindow.Map);
            while (!bytes.IsEmpty)
            {
                Assert.Equal(OperationStatus.Done, MessagePackFraming.TryGetObjectLength(bytes, out var length));
                var w = default(PageWindow);
                Assert.True(decoder.TryDecode(bytes[..length], ref w, out var error), error);
                Add(w);
                bytes = bytes[length..];
            }

            return lines;
        }

        using var reader = new AvroContainerReader(File.OpenRead(path));
        var avro = reader.CreateDecoder(PageWindow.Map);
        while (reader.Read(out var record, out _) == AvroReadStatus.Record)
        {
            var w = default(PageWindow);
            Assert.True(avro.TryDecode(record, ref w, out var error), error);
            Add(w);
        }

        return lines;
    }

    private struct PageWindow
    {
        public long WindowStart;
        public int PageId;
        public long Count;

        public static StreamKit.Records.RecordMap<PageWindow> Map { get; } = new StreamKit.Records.RecordMap<PageWindow>()
            .Int64("windowStart", static (ref PageWindow w, long v) => w.WindowStart = v, static (in PageWindow w) => w.WindowStart)
            .Int32("pageId", static (ref PageWindow w, int v) => w.PageId = v, static (in PageWindow w) => w.PageId)
            .Int64("count", static (ref PageWindow w, long v) => w.Count = v, static (in PageWindow w) => w.Count);
    }
}
