using System.Buffers;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Runtime;
using StreamKit.Files;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Files;

/// <summary>A flat record for sink tests: an id that says which input it was, a timestamp and a value.</summary>
internal struct Row
{
    public long Id;
    public long Ts;
    public int Value;

    public static RecordMap<Row> Map { get; } = new RecordMap<Row>()
        .Int64("id", static (ref Row r, long v) => r.Id = v, static (in Row r) => r.Id)
        .TimestampMillis("ts", static (ref Row r, long v) => r.Ts = v, static (in Row r) => r.Ts)
        .Int32("value", static (ref Row r, int v) => r.Value = v, static (in Row r) => r.Value);

    public static Row[] Generate(int count, long firstId = 0)
    {
        var rows = new Row[count];
        for (var i = 0; i < count; i++)
        {
            rows[i] = new Row { Id = firstId + i, Ts = VisitData.Start + ((firstId + i) * 100), Value = (int)((firstId + i) * 7 % 1000) };
        }

        return rows;
    }
}

/// <summary>A window result as read back from an output file.</summary>
internal struct PageWindow
{
    public long Start;
    public int Page;
    public long Count;

    public static RecordMap<WindowResult<int, long>> WriteMap { get; } = new RecordMap<WindowResult<int, long>>()
        .Int64("start", null, static (in WindowResult<int, long> r) => r.Start)
        .Int32("page", null, static (in WindowResult<int, long> r) => r.Key)
        .Int64("count", null, static (in WindowResult<int, long> r) => r.Value);

    public static RecordMap<PageWindow> ReadMap { get; } = new RecordMap<PageWindow>()
        .Int64("start", static (ref PageWindow r, long v) => r.Start = v)
        .Int32("page", static (ref PageWindow r, int v) => r.Page = v)
        .Int64("count", static (ref PageWindow r, long v) => r.Count = v);
}

public class FileSinkTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task FlushAsync_BeforeCommit_FileStaysInProgress()
    {
        var sink = RowSink(_dir.Path);
        var rows = Row.Generate(10);

        sink.Write(rows.AsSpan(0, 4));
        Assert.Equal(["part-000000.jsonl.inprogress"], Names(_dir.Path));
        sink.Write(rows.AsSpan(4));
        await sink.FlushAsync();

        Assert.Equal(["part-000000.jsonl.inprogress"], Names(_dir.Path));
        Assert.Empty(sink.Published);

        await sink.CommitAsync();

        Assert.Equal(["part-000000.jsonl"], Names(_dir.Path));
        Assert.Equal([_dir.File("part-000000.jsonl")], sink.Published);
        Assert.Equal(Ids(rows), Ids(ReadRows(_dir.Path)));
    }

    [Fact]
    public async Task CommitAsync_NothingWritten_PublishesNothing()
    {
        var sink = RowSink(_dir.Path);

        await sink.FlushAsync();
        await sink.CommitAsync();
        sink.Write([]);
        await sink.FlushAsync();
        await sink.CommitAsync();

        Assert.Empty(Names(_dir.Path));
        Assert.Empty(sink.Published);
    }

    [Fact]
    public async Task CommitAsync_EveryCheckpoint_ClosesFileAndStartsNext()
    {
        var sink = RowSink(_dir.Path);
        var rows = Row.Generate(30);

        for (var i = 0; i < 3; i++)
        {
            sink.Write(rows.AsSpan(i * 10, 10));
            await sink.FlushAsync();
            await sink.CommitAsync();
            Assert.Equal(i + 1, Names(_dir.Path).Count);
        }

        Assert.Equal(["part-000000.jsonl", "part-000001.jsonl", "part-000002.jsonl"], Names(_dir.Path));
        Assert.Equal(Ids(rows), Ids(ReadRows(_dir.Path)));
    }

    [Theory]
    [InlineData(1, 300)]
    [InlineData(7, 300)]
    [InlineData(50, 2_000)]
    public async Task Write_PastMaxFileBytes_RollsWithinOneBatchOfTheLimit(int batch, int maxFileBytes)
    {
        var sink = RowSink(_dir.Path, options => options.MaxFileBytes = maxFileBytes);
        var rows = Row.Generate(500);
        var lineBytes = Encoding.UTF8.GetByteCount(Line(rows[^1]));

        for (var i = 0; i < rows.Length; i += batch)
        {
            sink.Write(rows.AsSpan(i, Math.Min(batch, rows.Length - i)));
        }

        await sink.DisposeAsync();

        var files = Names(_dir.Path);
        Assert.True(files.Count > 3, $"expected several files, got {files.Count}");
        Assert.DoesNotContain(files, static f => f.EndsWith(".inprogress", StringComparison.Ordinal));
        for (var i = 0; i < files.Count; i++)
        {
            var length = new FileInfo(_dir.File(files[i])).Length;
            Assert.True(length <= maxFileBytes + (batch * lineBytes), $"{files[i]} has {length} bytes; limit {maxFileBytes}, batch {batch}");
            if (i < files.Count - 1)
            {
                Assert.True(length >= maxFileBytes, $"{files[i]} was closed at {length} bytes, before the {maxFileBytes}-byte limit");
            }
        }

        Assert.Equal(Ids(rows), Ids(ReadRows(_dir.Path)));
    }

    [Fact]
    public async Task Write_PastMaxFileAge_RollsToNewFile()
    {
        var clock = new ManualTimeProvider();
        var sink = RowSink(_dir.Path, options =>
        {
            options.MaxFileAge = TimeSpan.FromMinutes(1);
            options.TimeProvider = clock;
        });
        var rows = Row.Generate(7);

        sink.Write(rows.AsSpan(0, 1));
        clock.Advance(TimeSpan.FromSeconds(30));
        sink.Write(rows.AsSpan(1, 1));
        clock.Advance(TimeSpan.FromSeconds(29));
        sink.Write(rows.AsSpan(2, 1));
        clock.Advance(TimeSpan.FromSeconds(1));
        sink.Write(rows.AsSpan(3, 1)); // the file is a minute old: this write is its last
        sink.Write(rows.AsSpan(4, 1));
        clock.Advance(TimeSpan.FromMinutes(5));
        sink.Write(rows.AsSpan(5, 1));
        sink.Write(rows.AsSpan(6, 1));
        await sink.FlushAsync();

        Assert.Equal(["part-000000.jsonl.inprogress", "part-000001.jsonl.inprogress", "part-000002.jsonl.inprogress"], Names(_dir.Path));
        await sink.CommitAsync();
        Assert.Equal([0L, 1, 2, 3], Ids(ReadRows(_dir.File("part-000000.jsonl"))));
        Assert.Equal([4L, 5], Ids(ReadRows(_dir.File("part-000001.jsonl"))));
        Assert.Equal([6L], Ids(ReadRows(_dir.File("part-000002.jsonl"))));
    }

    [Fact]
    public async Task ReadState_CrashAfterFlushBeforeSave_DeletesLeftoversAndReplayPublishesOnce()
    {
        var rows = Row.Generate(40);
        var first = RowSink(_dir.Path);
        first.Write(rows.AsSpan(0, 10));
        await first.FlushAsync();
        var checkpoint = Save(first);
        await first.CommitAsync();

        // After the checkpoint: a prepared file (flushed, state not saved) and an open one, then the process dies.
        first.Write(rows.AsSpan(10, 10));
        await first.FlushAsync();
        first.Write(rows.AsSpan(20, 5));
        Assert.Equal(["part-000000.jsonl", "part-000001.jsonl.inprogress", "part-000002.jsonl.inprogress"], Names(_dir.Path));
        Assert.Equal(Ids(rows[..10]), Ids(ReadRows(_dir.Path)));

        var second = RowSink(_dir.Path);
        Restore(second, checkpoint);

        Assert.Equal(["part-000000.jsonl"], Names(_dir.Path));
        second.Write(rows.AsSpan(10));
        await second.FlushAsync();
        Save(second);
        await second.CommitAsync();

        Assert.DoesNotContain(Names(_dir.Path), static f => f.EndsWith(".inprogress", StringComparison.Ordinal));
        Assert.Equal(Ids(rows), Ids(ReadRows(_dir.Path)));
    }

    [Fact]
    public async Task ReadState_CrashAfterSaveBeforeCommit_PublishesPreparedFiles()
    {
        var rows = Row.Generate(30);
        var first = RowSink(_dir.Path, options => options.MaxFileBytes = 200);
        first.Write(rows.AsSpan(0, 10));
        await first.FlushAsync();
        Save(first);
        await first.CommitAsync();
        for (var i = 10; i < 20; i++)
        {
            first.Write(rows.AsSpan(i, 1));
        }

        await first.FlushAsync();
        var checkpoint = Save(first); // saved; the process dies before the rename
        var prepared = Names(_dir.Path).Count(static f => f.EndsWith(".inprogress", StringComparison.Ordinal));
        Assert.True(prepared >= 2, "the size limit should have split the second checkpoint's output");

        var second = RowSink(_dir.Path, options => options.MaxFileBytes = 200);
        Restore(second, checkpoint);

        Assert.DoesNotContain(Names(_dir.Path), static f => f.EndsWith(".inprogress", StringComparison.Ordinal));
        Assert.Equal(prepared, second.Published.Count);
        Assert.Equal(Ids(rows[..20]), Ids(ReadRows(_dir.Path)));

        second.Write(rows.AsSpan(20));
        await second.FlushAsync();
        Save(second);
        await second.CommitAsync();
        Assert.Equal(Ids(rows), Ids(ReadRows(_dir.Path)));
    }

    [Fact]
    public async Task ReadState_AnotherSinksInProgressFileInTheDirectory_LeftAlone()
    {
        var rows = Row.Generate(10);
        var main = RowSink(_dir.Path);
        var checkpoint = Save(main);
        var late = RowSink(_dir.Path, options => options.Prefix = "part-late");
        late.Write(rows);
        await late.FlushAsync();
        var other = _dir.Write("part-archive.jsonl.inprogress", "{}\n");

        var restored = RowSink(_dir.Path);
        Restore(restored, checkpoint);

        Assert.Equal(["part-archive.jsonl.inprogress", "part-late-000000.jsonl.inprogress"], Names(_dir.Path));
        Assert.True(File.Exists(other));
        await late.CommitAsync();
        Assert.Equal(Ids(rows), Ids(ReadRows(_dir.File("part-late-000000.jsonl"))));
    }

    [Fact]
    public async Task DisposeAsync_WithoutCheckpoints_PublishesEverything()
    {
        var rows = Row.Generate(100);
        var sink = RowSink(_dir.Path, options => options.MaxFileBytes = 1_000);
        sink.Write(rows);
        sink.Write(rows.AsSpan(0, 1));

        await sink.DisposeAsync();

        Assert.DoesNotContain(Names(_dir.Path), static f => f.EndsWith(".inprogress", StringComparison.Ordinal));
        Assert.Equal(Names(_dir.Path).Count, sink.Published.Count);
        Assert.Equal([.. Ids(rows), 0], Ids(ReadRows(_dir.Path)));
    }

    [Fact]
    public async Task Constructor_EarlierRunsOutputInDirectory_NumbersAfterIt()
    {
        var rows = Row.Generate(10);
        var first = RowSink(_dir.Path, static _ => { });
        first.Write(rows);
        await first.DisposeAsync();

        var second = RowSink(_dir.Path, static _ => { });
        second.Write(rows.AsSpan(0, 3));
        await second.DisposeAsync();

        Assert.Equal(["part-000000.jsonl", "part-000001.jsonl"], Names(_dir.Path).Order(StringComparer.Ordinal));
        Assert.Equal(Ids(rows), Ids(ReadRows(_dir.File("part-000000.jsonl"))));
    }

    public enum Crash
    {
        SourceFails,
        SaveFails,
        CommitNeverRuns,
    }

    [Theory]
    [InlineData(Crash.SourceFails, 2, 300)] // before the first checkpoint: nothing to restore
    [InlineData(Crash.SourceFails, 9, 1_000_000)]
    [InlineData(Crash.SourceFails, 22, 300)]
    [InlineData(Crash.SaveFails, 3, 300)]
    [InlineData(Crash.SaveFails, 5, 1_000_000)]
    [InlineData(Crash.CommitNeverRuns, 2, 300)]
    [InlineData(Crash.CommitNeverRuns, 6, 1_000_000)]
    public async Task Run_CrashThenRestart_PublishedOutputEqualsUninterruptedRun(Crash crash, int at, int maxFileBytes)
    {
        await RunWindowsAsync(_dir.File("expected"), CreateSource(), null, maxFileBytes);
        var expected = ReadWindows(_dir.File("expected"));
        Assert.NotEmpty(expected);

        var output = _dir.File("out");
        var store = new CrashingStore(new FileStateStore(_dir.File("state")));
        var source = CreateSource();
        switch (crash)
        {
            case Crash.SourceFails:
                source.CrashAfterBatches = at;
                break;
            case Crash.SaveFails:
                store.FailBeforeSave = at;
                break;
            default:
                store.FailAfterSave = at;
                break;
        }

        await Assert.ThrowsAsync<SimulatedCrashException>(() => RunWindowsAsync(output, source, store, maxFileBytes));
        var visible = ReadWindows(output);
        Assert.True(IsPrefix(visible, expected), "what is visible after the crash must be a prefix of the full output");

        await RunWindowsAsync(output, CreateSource(), store, maxFileBytes);

        Assert.Equal(expected, ReadWindows(output));
        Assert.DoesNotContain(Names(output), static f => f.EndsWith(".inprogress", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(4, false)]
    [InlineData(11, false)]
    [InlineData(11, true)]
    [InlineData(13, true)]
    public async Task Run_JsonLinesFileCrashMidFileThenRestart_ResumesWithoutLossOrDuplication(int crashAfter, bool gzip)
    {
        var name = gzip ? "clicks.jsonl.gz" : "clicks.jsonl";
        var lines = VisitData.Lines(1_500, seed: 3);
        lines[700] = "{\"broken";
        var input = _dir.Write(name, string.Join('\n', lines) + "\n");
        await RunWindowsAsync(_dir.File("expected"), new FileSource(input), null, 1_000_000);
        var expected = ReadWindows(_dir.File("expected"));

        var output = _dir.File("out");
        var store = new FileStateStore(_dir.File("state"));
        var deadLetters = new InMemoryDeadLetterSink();
        var crashing = new CrashingSource(new FileSource(input), crashAfter);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => RunWindowsAsync(output, crashing, store, 1_000_000, deadLetters));
        deadLetters.DropUnflushed();

        var counting = new CountingFormat(JsonLinesFormat.Instance);
        var resumed = new FileSource(input, new FileSourceOptions { Formats = [counting] });
        var counters = await RunWindowsAsync(output, resumed, store, 1_000_000, deadLetters);

        Assert.Equal(expected, ReadWindows(output));
        Assert.Equal(0, counters.Skipped);
        Assert.Equal(lines.Count - ((crashAfter / 3) * 3 * 100), counters.Read); // resumed after the last checkpoint
        Assert.Equal(["{\"broken"], deadLetters.Flushed.Select(static l => l.PayloadText));
        if (!gzip)
        {
            Assert.True(counting.BytesRead < new FileInfo(input).Length - 10_000, $"resuming read {counting.BytesRead} bytes: it should seek past the applied part");
        }
    }

    [Fact]
    public async Task EncodedFileFormat_OutputReadBackWithFileSource_EqualsInput()
    {
        var rows = Row.Generate(2_000);
        var sink = RowSink(_dir.File("out"), options => options.MaxFileBytes = 10_000);
        for (var i = 0; i < rows.Length; i += 64)
        {
            sink.Write(rows.AsSpan(i, Math.Min(64, rows.Length - i)));
        }

        await sink.DisposeAsync();
        await using var source = new FileSource(_dir.File("out"));
        var decoder = new JsonLinesDecoder<Row>(Row.Map);
        var read = new List<Row>();
        using var batch = new RawRecordBatch(100);
        while (await source.ReadAsync(batch))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var row = default(Row);
                Assert.True(decoder.TryDecode(batch[i].Value, ref row, out var error), error);
                read.Add(row);
            }

            batch.Clear();
        }

        Assert.True(source.Files.Count > 5);
        Assert.Equal(rows, read);
    }

    internal static FileSink<Row> RowSink(string directory, Action<FileSinkOptions<Row>>? configure = null)
    {
        var options = new FileSinkOptions<Row> { Directory = directory, Format = new EncodedFileFormat<Row>(new JsonLinesEncoder<Row>(Row.Map), ".jsonl") };
        configure?.Invoke(options);
        return new FileSink<Row>(options);
    }

    private static string Line(Row row)
    {
        var buffer = new ArrayBufferWriter<byte>();
        new JsonLinesEncoder<Row>(Row.Map).Encode(row, buffer);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static byte[] Save(ICheckpointed state)
    {
        var buffer = new ArrayBufferWriter<byte>();
        state.WriteState(new StateWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static void Restore(ICheckpointed state, byte[] snapshot)
    {
        var reader = new StateReader(snapshot);
        state.ReadState(ref reader);
        Assert.True(reader.IsEmpty);
    }

    internal static List<string> Names(string directory) =>
        Directory.Exists(directory) ? [.. Directory.GetFiles(directory).Select(static f => Path.GetFileName(f)).Order(StringComparer.Ordinal)] : [];

    private static List<long> Ids(IEnumerable<Row> rows) => [.. rows.Select(static r => r.Id)];

    /// <summary>The rows of one published file, or of every published file of a directory in name order.</summary>
    private static List<Row> ReadRows(string path)
    {
        var decoder = new JsonLinesDecoder<Row>(Row.Map);
        var rows = new List<Row>();
        foreach (var file in PublishedFiles(path))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var row = default(Row);
                Assert.True(decoder.TryDecode(Encoding.UTF8.GetBytes(line), ref row, out var error), error);
                rows.Add(row);
            }
        }

        return rows;
    }

    private static IEnumerable<string> PublishedFiles(string path) =>
        File.Exists(path) ? [path]
        : Directory.Exists(path) ? Directory.GetFiles(path).Where(static f => !f.EndsWith(".inprogress", StringComparison.Ordinal)).Order(StringComparer.Ordinal)
        : [];

    private static List<PageWindow> ReadWindows(string directory)
    {
        var decoder = new JsonLinesDecoder<PageWindow>(PageWindow.ReadMap);
        var windows = new List<PageWindow>();
        foreach (var file in PublishedFiles(directory))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                var window = default(PageWindow);
                Assert.True(decoder.TryDecode(Encoding.UTF8.GetBytes(line), ref window, out var error), error);
                windows.Add(window);
            }
        }

        return windows;
    }

    private static bool IsPrefix(List<PageWindow> prefix, List<PageWindow> all) =>
        prefix.Count <= all.Count && prefix.SequenceEqual(all.Take(prefix.Count));

    /// <summary>Page views per minute, written to a <see cref="FileSink{T}"/> in <paramref name="output"/>; checkpoints every 3 batches of 100 when given a store.</summary>
    private static async Task<RunnerCounters> RunWindowsAsync(string output, IRecordSource source, IStateStore? store, int maxFileBytes, InMemoryDeadLetterSink? deadLetters = null)
    {
        var sink = new FileSink<WindowResult<int, long>>(new FileSinkOptions<WindowResult<int, long>>
        {
            Directory = output,
            Format = new EncodedFileFormat<WindowResult<int, long>>(new JsonLinesEncoder<WindowResult<int, long>>(PageWindow.WriteMap), ".jsonl"),
            MaxFileBytes = maxFileBytes,
        });
        var visits = new VisitPipeline(sink);
        var runner = new PipelineRunner<Visit>(visits.Pipeline, source, visits.Decoder(), deadLetters ?? new InMemoryDeadLetterSink(), new PipelineRunnerOptions
        {
            StateStore = store,
            BatchSize = 100,
            CheckpointEveryBatches = 3,
            CheckpointInterval = TimeSpan.FromHours(1),
        });
        try
        {
            await runner.RunAsync();
        }
        finally
        {
            await source.DisposeAsync();
        }

        if (store is null)
        {
            await sink.DisposeAsync(); // no checkpoints: publish at the end
        }

        return runner.Counters;
    }

    private static InMemorySource CreateSource()
    {
        var source = new InMemorySource("visits") { MaxBatchSize = 100 };
        foreach (var line in VisitData.Lines(2_400, seed: 8))
        {
            source.Add("p0", line);
        }

        return source;
    }

    /// <summary>A state store that dies before or after the n-th save, the way a process killed mid-checkpoint would.</summary>
    private sealed class CrashingStore(IStateStore inner) : IStateStore
    {
        private int _saves;

        public int? FailBeforeSave { get; set; }

        public int? FailAfterSave { get; set; }

        public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) => inner.LoadAsync(key, cancellationToken);

        public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
        {
            _saves++;
            if (_saves == FailBeforeSave)
            {
                FailBeforeSave = null;
                throw new SimulatedCrashException($"died before save {_saves}");
            }

            var version = await inner.SaveAsync(key, data, expectedVersion, cancellationToken);
            if (_saves == FailAfterSave)
            {
                FailAfterSave = null;
                throw new SimulatedCrashException($"died after save {_saves}, before the commit");
            }

            return version;
        }
    }
}
