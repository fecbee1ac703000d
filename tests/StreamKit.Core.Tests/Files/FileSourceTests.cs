using System.Text;
using StreamKit.Core.Tests.Runtime;
using StreamKit.Files;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Core.Tests.Files;

public class FileSourceTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Run_MalformedLines_DeadLetteredWithRawBytesPositionAndReason()
    {
        string[] lines =
        [
            VisitCodec.Line(VisitData.Start, 1, "home"),
            "{oops",
            VisitCodec.Line(VisitData.Start + 1, 2, "cart"),
            """{"ts":1,"userId":"x","page":"home"}""",
            VisitCodec.Line(VisitData.Start + 2, 3, "caf\u00e9"),
            """{"ts":1,"userId":1}""",
            "[1,2,3]",
            VisitCodec.Line(VisitData.Start + 3, 4, "home"),
        ];
        var path = _dir.Write("input.jsonl", string.Join('\n', lines) + "\n");

        var run = await RunAsync(path);

        int[] bad = [1, 3, 5, 6];
        Assert.Equal(bad.Length, run.DeadLetters.Letters.Count);
        for (var i = 0; i < bad.Length; i++)
        {
            var letter = run.DeadLetters.Letters[i];
            Assert.Equal(Encoding.UTF8.GetBytes(lines[bad[i]]), letter.Payload);
            Assert.Equal(OffsetOf(lines, bad[i], "\n"), letter.Position);
            Assert.Equal(path, letter.Partition);
            Assert.Equal(path, letter.Source);
            Assert.False(string.IsNullOrWhiteSpace(letter.Reason));
        }

        Assert.Contains("'userId'", run.DeadLetters.Letters[1].Reason, StringComparison.Ordinal);
        Assert.Equal("missing field 'page'", run.DeadLetters.Letters[2].Reason);
        AssertCounts(run, read: lines.Length, deadLettered: bad.Length);
        Assert.Equal(run.DeadLetters.Letters.Count, run.DeadLetters.Flushed.Count);
    }

    [Fact]
    public async Task Run_BlankLines_SkippedAndNotCounted()
    {
        var text = "\n\n" + VisitCodec.Line(VisitData.Start, 1, "home") + "\n   \n\t\n \t \r\n\n" + VisitCodec.Line(VisitData.Start + 5, 2, "home") + "\n\n\n";
        var path = _dir.Write("blank.jsonl", text);

        var run = await RunAsync(path);

        Assert.Empty(run.DeadLetters.Letters);
        AssertCounts(run, read: 2, deadLettered: 0);
    }

    [Fact]
    public async Task Run_CrlfLineEndings_DecodedAndDeadLettersHaveNoCarriageReturn()
    {
        string[] lines =
        [
            VisitCodec.Line(VisitData.Start, 1, "home"),
            "{\"ts\":broken",
            "",
            VisitCodec.Line(VisitData.Start + 1, 2, "cart"),
        ];
        var path = _dir.Write("crlf.jsonl", string.Join("\r\n", lines) + "\r\n");

        var run = await RunAsync(path);

        var letter = Assert.Single(run.DeadLetters.Letters);
        Assert.Equal("{\"ts\":broken"u8.ToArray(), letter.Payload);
        Assert.Equal(OffsetOf(lines, 1, "\r\n"), letter.Position);
        AssertCounts(run, read: 3, deadLettered: 1);
    }

    [Fact]
    public async Task Run_GzipInput_DecodedWithPositionsInDecompressedBytes()
    {
        var lines = VisitData.Lines(3_000, seed: 1);
        lines[2_500] = "not json at all";
        var path = _dir.Write("input.jsonl.gz", string.Join('\n', lines) + "\n");

        var run = await RunAsync(path, batchSize: 256);

        var letter = Assert.Single(run.DeadLetters.Letters);
        Assert.Equal(OffsetOf(lines, 2_500, "\n"), letter.Position);
        Assert.Equal("not json at all", letter.PayloadText);
        AssertCounts(run, read: lines.Count, deadLettered: 1);
    }

    [Fact]
    public async Task Run_Directory_ReadsEveryFileInNameOrderAsPartitions()
    {
        var counts = new[] { 120, 7, 300 };
        var paths = new string[counts.Length];
        for (var i = 0; i < counts.Length; i++)
        {
            var lines = VisitData.Lines(counts[i], seed: i, first: 1000 * (counts.Length - i));
            lines.Insert(counts[i] / 2, "bad line " + i);
            paths[i] = _dir.Write($"part-{2 - i}.jsonl", string.Join('\n', lines) + "\n");
        }

        var run = await RunAsync(_dir.Path);

        Assert.Equal([paths[2], paths[1], paths[0]], run.Source.Files);
        Assert.Equal([paths[2], paths[1], paths[0]], run.DeadLetters.Letters.Select(static l => l.Partition));
        Assert.Equal(["bad line 2", "bad line 1", "bad line 0"], run.DeadLetters.Letters.Select(static l => l.PayloadText));
        AssertCounts(run, read: counts.Sum() + counts.Length, deadLettered: counts.Length);
        Assert.Equal(paths.Length, run.Runner.Positions.Count);
    }

    [Fact]
    public async Task Run_Glob_ReadsOnlyMatchingFiles()
    {
        _dir.Write("a.jsonl", string.Join('\n', VisitData.Lines(50, seed: 1)));
        _dir.Write("b.jsonl", string.Join('\n', VisitData.Lines(70, seed: 2, first: 100)) + "\n");
        _dir.Write("notes.txt", "these are not records\n");
        _dir.Write("c.jsonl.gz", string.Join('\n', VisitData.Lines(30, seed: 3)) + "\n");

        var run = await RunAsync(_dir.File("*.jsonl"));

        Assert.Equal(2, run.Source.Files.Count);
        Assert.Empty(run.DeadLetters.Letters);
        AssertCounts(run, read: 120, deadLettered: 0);
    }

    [Fact]
    public void Constructor_NothingMatches_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => new FileSource(_dir.File("*.jsonl")));
        Assert.Throws<FileNotFoundException>(() => new FileSource(_dir.File("missing.jsonl")));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_LineOverMaxRecordBytes_DeadLetteredHeadAndNextLineRead(bool gzip)
    {
        const int Max = 100;
        var exact = VisitCodec.Line(VisitData.Start, 1, "p");
        exact = VisitCodec.Line(VisitData.Start, 1, new string('p', 1 + Max - exact.Length));
        string[] lines =
        [
            VisitCodec.Line(VisitData.Start, 1, "home"),
            VisitCodec.Line(VisitData.Start, 1, new string('x', 300)),
            exact,
            VisitCodec.Line(VisitData.Start, 1, new string('y', 200_000)), // longer than the pipe's buffer
            VisitCodec.Line(VisitData.Start + 1, 2, "cart"),
            VisitCodec.Line(VisitData.Start, 1, new string('z', 150)), // the last line, without a newline
        ];
        Assert.Equal(Max, Encoding.UTF8.GetByteCount(exact));
        var path = _dir.Write(gzip ? "long.jsonl.gz" : "long.jsonl", string.Join('\n', lines));

        var run = await RunAsync(path, maxRecordBytes: Max);

        int[] bad = [1, 3, 5];
        Assert.Equal(bad.Length, run.DeadLetters.Letters.Count);
        for (var i = 0; i < bad.Length; i++)
        {
            var letter = run.DeadLetters.Letters[i];
            Assert.Equal(Encoding.UTF8.GetBytes(lines[bad[i]])[..Max], letter.Payload);
            Assert.Equal(OffsetOf(lines, bad[i], "\n"), letter.Position);
            Assert.Contains("exceeds", letter.Reason, StringComparison.Ordinal);
        }

        AssertCounts(run, read: lines.Length, deadLettered: bad.Length);
    }

    [Fact]
    public async Task Run_FinalLineWithoutNewline_Read()
    {
        var lines = VisitData.Lines(10, seed: 3);
        var path = _dir.Write("no-newline.jsonl", string.Join('\n', lines));

        var run = await RunAsync(path);

        AssertCounts(run, read: 10, deadLettered: 0);
        Assert.Equal(OffsetOf(lines, 9, "\n"), run.Runner.Positions[path]);
    }

    [Fact]
    public async Task Run_MalformedFinalLineWithoutNewline_DeadLettered()
    {
        var path = _dir.Write("tail.jsonl", VisitCodec.Line(VisitData.Start, 1, "home") + "\n{\"ts\":");

        var run = await RunAsync(path);

        var letter = Assert.Single(run.DeadLetters.Letters);
        Assert.Equal("{\"ts\":", letter.PayloadText);
        AssertCounts(run, read: 2, deadLettered: 1);
    }

    [Fact]
    public async Task Run_Utf8ByteOrderMark_SkippedBeforeFirstLine()
    {
        var lines = VisitData.Lines(5, seed: 4);
        var path = _dir.Write("bom.jsonl", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(string.Join("\r\n", lines))]);

        var run = await RunAsync(path);

        Assert.Empty(run.DeadLetters.Letters);
        AssertCounts(run, read: 5, deadLettered: 0);
    }

    [Theory]
    [InlineData("seek.jsonl")]
    [InlineData("seek.jsonl.gz")]
    public async Task SeekAsync_ToAppliedPosition_ResumesWithTheNextLine(string name)
    {
        var lines = VisitData.Lines(500, seed: 5);
        var path = _dir.Write(name, string.Join('\n', lines) + "\n");
        var all = await ReadPositionsAsync(new FileSource(path), capacity: 64);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => OffsetOf(lines, i, "\n")), all);

        await using var resumed = new FileSource(path);
        await resumed.SeekAsync(new Dictionary<string, long> { [path] = all[321] });
        var rest = await ReadPositionsAsync(resumed, capacity: 64);

        Assert.Equal(all[322..], rest);
    }

    [Fact]
    public async Task ReadAsync_SmallBatches_OnePartitionPerBatchWithIncreasingPositions()
    {
        var a = _dir.Write("a.jsonl", string.Join('\n', VisitData.Lines(25, seed: 6)) + "\n");
        var b = _dir.Write("b.jsonl", string.Join('\n', VisitData.Lines(13, seed: 7)));
        await using var source = new FileSource(_dir.Path);
        using var batch = new RawRecordBatch(capacity: 10);
        var partitions = new List<string>();
        var counts = new Dictionary<string, int>();
        var last = new Dictionary<string, long>();
        while (true)
        {
            batch.Clear();
            if (!await source.ReadAsync(batch))
            {
                Assert.Equal(0, batch.Count);
                break;
            }

            Assert.InRange(batch.Count, 1, 10);
            if (partitions.Count == 0 || partitions[^1] != batch.Partition)
            {
                partitions.Add(batch.Partition);
            }

            counts[batch.Partition] = counts.GetValueOrDefault(batch.Partition) + batch.Count;
            for (var i = 0; i < batch.Count; i++)
            {
                var position = batch[i].Position;
                Assert.True(!last.TryGetValue(batch.Partition, out var previous) || position > previous);
                last[batch.Partition] = position;
            }
        }

        Assert.Equal([a, b], partitions);
        Assert.Equal(25, counts[a]);
        Assert.Equal(13, counts[b]);
        Assert.False(await source.ReadAsync(batch));
    }

    [Fact]
    public async Task Run_CancelledThenRestartedOverFiles_OutputEqualsUninterruptedRun()
    {
        for (var i = 0; i < 3; i++)
        {
            var lines = VisitData.Lines(400, seed: 10 + i, first: 1000 * i);
            lines[100 + i] = "broken " + i;
            _dir.Write($"day-{i}.jsonl" + (i == 1 ? ".gz" : ""), string.Join('\n', lines) + "\n");
        }

        var input = _dir.Path;
        var expected = await RunAsync(input, batchSize: 50);
        using var stateDir = new TempDirectory();
        var store = new FileStateStore(stateDir.Path);
        var sink = new CollectingSink<StreamKit.Windows.WindowResult<int, long>>();
        var deadLetters = new InMemoryDeadLetterSink();
        var options = new PipelineRunnerOptions { StateStore = store, BatchSize = 50, CheckpointEveryBatches = 3 };

        var first = new VisitPipeline(sink);
        using var cancel = new CancellationTokenSource();
        await using (var source = new FileSource(input))
        {
            var stopping = new CancelAfterSource(source, batches: 11, cancel);
            var runner = new PipelineRunner<Visit>(first.Pipeline, stopping, first.Decoder(), deadLetters, options);
            await runner.RunAsync(cancel.Token);
            Assert.Equal(11 * 50, runner.Counters.Read);
            Assert.Equal(4, runner.Counters.Checkpoints); // after batches 3, 6 and 9, and on stopping
        }

        var second = new VisitPipeline(sink);
        await using (var source = new FileSource(input))
        {
            var runner = new PipelineRunner<Visit>(second.Pipeline, source, second.Decoder(), deadLetters, options);
            await runner.RunAsync();
            Assert.Equal(0, runner.Counters.Skipped);
            Assert.Equal((3 * 400) - (11 * 50), runner.Counters.Read);
        }

        Assert.Equal(expected.Visits.Flushed(), second.Canonical(sink.Flushed));
        Assert.Equal(expected.DeadLetters.Letters.Select(static l => (l.Partition, l.Position)), deadLetters.Flushed.Select(static l => (l.Partition, l.Position)));
    }

    private static long OffsetOf(IReadOnlyList<string> lines, int index, string newline)
    {
        long offset = 0;
        for (var i = 0; i < index; i++)
        {
            offset += Encoding.UTF8.GetByteCount(lines[i]) + newline.Length;
        }

        return offset;
    }

    private static void AssertCounts(FileRun run, int read, int deadLettered)
    {
        var counters = run.Runner.Counters;
        Assert.Equal(read, counters.Read);
        Assert.Equal(deadLettered, counters.DeadLettered);
        Assert.Equal(read - deadLettered, counters.Processed);
        Assert.Equal(0, counters.Skipped);
        Assert.Equal(counters.Read, counters.Processed + counters.DeadLettered + counters.Skipped);
        Assert.Equal(deadLettered, run.DeadLetters.Letters.Count);
        Assert.Equal(counters.Processed, run.Visits.Pipeline.Counters.In);
        Assert.Equal(counters.Processed, run.Visits.Sink.Flushed.Sum(static r => r.Value));
    }

    private static async Task<List<long>> ReadPositionsAsync(FileSource source, int capacity)
    {
        using var batch = new RawRecordBatch(capacity);
        var positions = new List<long>();
        while (await source.ReadAsync(batch))
        {
            for (var i = 0; i < batch.Count; i++)
            {
                positions.Add(batch[i].Position);
            }

            batch.Clear();
        }

        await source.DisposeAsync();
        return positions;
    }

    private static async Task<FileRun> RunAsync(string path, int maxRecordBytes = 1 << 20, int batchSize = 1024)
    {
        var visits = new VisitPipeline();
        var deadLetters = new InMemoryDeadLetterSink();
        await using var source = new FileSource(path, new FileSourceOptions { MaxRecordBytes = maxRecordBytes });
        var runner = new PipelineRunner<Visit>(visits.Pipeline, source, visits.Decoder(), deadLetters, new PipelineRunnerOptions { BatchSize = batchSize });
        await runner.RunAsync();
        return new FileRun(runner, visits, deadLetters, source);
    }

    private sealed record FileRun(PipelineRunner<Visit> Runner, VisitPipeline Visits, InMemoryDeadLetterSink DeadLetters, FileSource Source);
}
