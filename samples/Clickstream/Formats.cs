using StreamKit.Avro;
using StreamKit.Avro.Framing;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.MessagePack;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Windows;

namespace Clickstream;

/// <summary>The sample's input and output formats: chosen by file extension, described once as record maps.</summary>
public static class Formats
{
    /// <summary>Q1's single result: <c>{"count":N,"sumDurationMs":S}</c>.</summary>
    public static RecordMap<WindowResult<NoKey, (long Count, long SumDurationMs)>> Engagement { get; } = new RecordMap<WindowResult<NoKey, (long Count, long SumDurationMs)>>()
        .Int64("count", null, static (in WindowResult<NoKey, (long Count, long SumDurationMs)> r) => r.Value.Count)
        .Int64("sumDurationMs", null, static (in WindowResult<NoKey, (long Count, long SumDurationMs)> r) => r.Value.SumDurationMs);

    /// <summary>Q2 and Q3: <c>{"windowStart":ms,"pageId":P,"count":C}</c>.</summary>
    public static RecordMap<WindowResult<int, long>> PageWindow { get; } = new RecordMap<WindowResult<int, long>>()
        .Int64("windowStart", null, static (in WindowResult<int, long> r) => r.Start)
        .Int32("pageId", null, static (in WindowResult<int, long> r) => r.Key)
        .Int64("count", null, static (in WindowResult<int, long> r) => r.Value);

    /// <summary>Q4: <c>{"userId":U,"sessionStart":ms,"count":C}</c>.</summary>
    public static RecordMap<WindowResult<int, long>> UserSession { get; } = new RecordMap<WindowResult<int, long>>()
        .Int32("userId", null, static (in WindowResult<int, long> r) => r.Key)
        .Int64("sessionStart", null, static (in WindowResult<int, long> r) => r.Start)
        .Int64("count", null, static (in WindowResult<int, long> r) => r.Value);

    /// <summary>A source over JSON lines, MessagePack or Avro files and the decoder for their format (all files must share one).</summary>
    public static (FileSource Source, IRecordDecoder<ClickEvent> Decoder) OpenInput(string input)
    {
        var avro = new AvroFormat();
        var source = new FileSource(input, new FileSourceOptions { Formats = [JsonLinesFormat.Instance, MessagePackFormat.Instance, avro] });
        var format = source.FormatOf(source.Files[0]);
        foreach (var file in source.Files)
        {
            if (source.FormatOf(file) != format)
            {
                throw new NotSupportedException($"'{input}' mixes formats: {format.Name} and {source.FormatOf(file).Name}.");
            }
        }

        IRecordDecoder<ClickEvent> decoder = format switch
        {
            MessagePackFormat => new MessagePackDecoder<ClickEvent>(ClickEvents.Map),
            AvroFormat => new AvroFramedDecoder<ClickEvent>(ClickEvents.Map, avro.Schemas, AvroFraming.SingleObject),
            _ => new JsonLinesDecoder<ClickEvent>(ClickEvents.Map),
        };
        return (source, decoder);
    }

    /// <summary>One output file in the format its extension names: <c>.msgpack</c>, <c>.avro</c>, or JSON lines otherwise.</summary>
    public static OutputFile<T> OpenOutput<T>(string path, RecordMap<T> map, string avroRecordName)
        where T : struct
    {
        IFileWriterFormat<T> format = Path.GetExtension(path).ToUpperInvariant() switch
        {
            ".MSGPACK" or ".MPK" => new EncodedFileFormat<T>(new MessagePackEncoder<T>(map), ".msgpack"),
            ".AVRO" => new AvroFileWriterFormat<T>(new AvroEncoder<T>(map, avroRecordName, "StreamKit.Samples.Clickstream")),
            _ => new EncodedFileFormat<T>(new JsonLinesEncoder<T>(map), ".jsonl"),
        };
        return new OutputFile<T>(path, format);
    }
}

/// <summary>A sink writing every result into one file, flushed at each checkpoint and closed at the end.</summary>
public sealed class OutputFile<T> : IRecordSink<T>, IAsyncDisposable
{
    private readonly FileStream _file;
    private readonly IFileRecordWriter<T> _writer;

    public OutputFile(string path, IFileWriterFormat<T> format)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        _writer = format.Create(_file);
    }

    public long Count { get; private set; }

    public void Write(ReadOnlySpan<T> records)
    {
        _writer.Write(records);
        Count += records.Length;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        _writer.Flush();
        _file.Flush(flushToDisk: true);
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync();
        _writer.Dispose();
        await _file.DisposeAsync();
    }
}
