using StreamKit;
using StreamKit.Avro;
using StreamKit.Avro.Framing;
using StreamKit.Codecs;
using StreamKit.Files;
using StreamKit.MessagePack;
using StreamKit.Records;
using StreamKit.State;
using StreamKit.Windows;

namespace Clickstream;

/// <summary>The sample's input and output formats: chosen by file extension, described once as record maps.</summary>
public static class Formats
{
    /// <summary>Q1's single result: <c>{"count":N,"sumDurationMs":S}</c>.</summary>
    public static RecordMap<WindowResult<(long Count, long SumDurationMs)>> Engagement { get; } = new RecordMap<WindowResult<(long Count, long SumDurationMs)>>()
        .Int64("count", null, static (in WindowResult<(long Count, long SumDurationMs)> r) => r.Value.Count)
        .Int64("sumDurationMs", null, static (in WindowResult<(long Count, long SumDurationMs)> r) => r.Value.SumDurationMs);

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

    /// <summary>Whether <paramref name="output"/> names a directory (ends in <c>/</c>, or exists as one) rather than a file.</summary>
    public static bool IsDirectory(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        return output.EndsWith('/') || output.EndsWith(Path.DirectorySeparatorChar) || Directory.Exists(output);
    }

    /// <summary>
    /// JSON lines part files in <paramref name="directory"/> (<c>part-000000.jsonl</c>, ...), each published (renamed from
    /// <c>.inprogress</c>) only once the checkpoint covering it is saved: with a state store, output is exactly once.
    /// </summary>
    public static FileSink<T> OpenOutputDirectory<T>(string directory, RecordMap<T> map)
        where T : struct =>
        new(new FileSinkOptions<T> { Directory = directory, Format = new EncodedFileFormat<T>(new JsonLinesEncoder<T>(map), ".jsonl") });

    /// <summary>One output file in the format its extension names: <c>.msgpack</c>, <c>.avro</c>, or JSON lines otherwise.</summary>
    /// <param name="path">The file.</param>
    /// <param name="map">The records' fields.</param>
    /// <param name="avroRecordName">The Avro record's name, for <c>.avro</c>.</param>
    /// <param name="checkpointed">
    /// The run checkpoints into a state store: the file's length goes into each checkpoint, so a resumed run cuts off
    /// what a crashed one wrote after it (and writes it again). Not for <c>.avro</c>, whose blocks end in a sync marker
    /// drawn per file: a directory output serves there.
    /// </param>
    /// <param name="resumed">A checkpoint exists: keep the file (the restore cuts it back) instead of starting it anew.</param>
    /// <exception cref="NotSupportedException"><paramref name="checkpointed"/> with an <c>.avro</c> file.</exception>
    public static OutputFile<T> OpenOutput<T>(string path, RecordMap<T> map, string avroRecordName, bool checkpointed = false, bool resumed = false)
        where T : struct
    {
        IFileWriterFormat<T> format = Path.GetExtension(path).ToUpperInvariant() switch
        {
            ".MSGPACK" or ".MPK" => new EncodedFileFormat<T>(new MessagePackEncoder<T>(map), ".msgpack"),
            ".AVRO" when checkpointed => throw new NotSupportedException($"'{path}': an .avro file cannot be resumed after a crash; with --state-dir write Avro to a directory's part files (--output DIR/) or use .jsonl or .msgpack."),
            ".AVRO" => new AvroFileWriterFormat<T>(new AvroEncoder<T>(map, avroRecordName, "StreamKit.Samples.Clickstream")),
            _ => new EncodedFileFormat<T>(new JsonLinesEncoder<T>(map), ".jsonl"),
        };
        return new OutputFile<T>(path, format, checkpointed, resumed);
    }
}

/// <summary>A sink writing every result into one file, flushed at each checkpoint and closed at the end.</summary>
/// <remarks>
/// Checkpointed, the file's length at each checkpoint is part of the state; a restore cuts the file back to it, so
/// what a crashed run wrote after its last checkpoint is not there twice when the replay writes it again.
/// </remarks>
public sealed class OutputFile<T> : IRecordSink<T>, ICheckpointed, IAsyncDisposable
{
    private const int StateVersion = 1;
    private readonly FileStream _file;
    private readonly IFileRecordWriter<T> _writer;
    private readonly bool _checkpointed;

    public OutputFile(string path, IFileWriterFormat<T> format, bool checkpointed = false, bool resumed = false)
    {
        ArgumentNullException.ThrowIfNull(format);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        _checkpointed = checkpointed;
        _file = new FileStream(path, resumed ? FileMode.OpenOrCreate : FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
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

    public void WriteState(StateWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (_checkpointed)
        {
            writer.WriteInt32(StateVersion);
            writer.WriteInt64(_file.Position); // flushed just before: everything up to here is on disk
        }
    }

    public void ReadState(ref StateReader reader)
    {
        if (!_checkpointed)
        {
            return;
        }

        reader.Expect(StateVersion, "output file state version");
        var length = reader.ReadInt64();
        if (_file.Length < length)
        {
            throw new InvalidDataException($"'{_file.Name}' is shorter ({_file.Length:N0} bytes) than its checkpoint says ({length:N0}): it was changed since; delete the state directory to start over.");
        }

        _file.SetLength(length);
        _file.Position = length;
    }

    public async ValueTask DisposeAsync()
    {
        await FlushAsync();
        _writer.Dispose();
        await _file.DisposeAsync();
    }
}
