using StreamKit.Core.Tests.Runtime;
using StreamKit.Files;
using StreamKit.Runtime;
using StreamKit.Testing;

namespace StreamKit.Core.Tests.Files;

/// <summary>Files are read one after another; a later file's older events must not be late because of it.</summary>
public sealed class FileWatermarkTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("streamkit-watermark-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Run_LaterFileHoldsOlderEvents_NothingIsLate()
    {
        // a.jsonl covers minutes 10-19, b.jsonl minutes 0-9: read in name order, b's events are ten minutes older.
        WriteMinutes("a.jsonl", 10, 20);
        WriteMinutes("b.jsonl", 0, 10);

        var (visits, runner) = await RunAsync(new FileSourceOptions());

        Assert.Equal(0, visits.Pipeline.Counters.Late);
        Assert.Equal(20, visits.Sink.Records.Count); // one window per minute, none lost
        Assert.All(visits.Sink.Records, r => Assert.Equal(30, r.Value));
        Assert.Equal(600, runner.Counters.Processed);
    }

    [Fact]
    public async Task Run_FilesInTimeOrderButNot_OlderFileIsLate()
    {
        WriteMinutes("a.jsonl", 10, 20);
        WriteMinutes("b.jsonl", 0, 10);

        var (visits, _) = await RunAsync(new FileSourceOptions { FilesInTimeOrder = true });

        // The promise was broken: b's events arrive behind the watermark, counted late rather than silently merged.
        Assert.Equal(300, visits.Pipeline.Counters.Late);
        Assert.Equal(10, visits.Sink.Records.Count);
    }

    [Fact]
    public async Task Run_FilesInTimeOrder_WindowsCloseWhileReading()
    {
        WriteMinutes("a.jsonl", 0, 10);
        WriteMinutes("b.jsonl", 10, 20);
        var closedWhileReadingB = 0;

        var visits = new VisitPipeline();
        await using var source = new FileSource(_directory, new FileSourceOptions { FilesInTimeOrder = true });
        var watched = new AfterEachBatch(source, () => closedWhileReadingB = Math.Max(closedWhileReadingB, visits.Sink.Records.Count));
        var runner = new PipelineRunner<Visit>(visits.Pipeline, watched, visits.Decoder(), new InMemoryDeadLetterSink(), new PipelineRunnerOptions { BatchSize = 50 });
        await runner.RunAsync();

        Assert.True(closedWhileReadingB >= 9, $"only {closedWhileReadingB} windows had closed before the end");
        Assert.Equal(0, visits.Pipeline.Counters.Late);
    }

    private async Task<(VisitPipeline Visits, PipelineRunner<Visit> Runner)> RunAsync(FileSourceOptions options)
    {
        var visits = new VisitPipeline();
        await using var source = new FileSource(_directory, options);
        var runner = new PipelineRunner<Visit>(visits.Pipeline, source, visits.Decoder(), new InMemoryDeadLetterSink(), new PipelineRunnerOptions { BatchSize = 50 });
        await runner.RunAsync();
        return (visits, runner);
    }

    /// <summary>Thirty events a minute, in order, for minutes [from, to).</summary>
    private void WriteMinutes(string name, int from, int to)
    {
        var lines = new List<string>();
        for (var minute = from; minute < to; minute++)
        {
            for (var i = 0; i < 30; i++)
            {
                lines.Add(VisitCodec.Line((minute * 60_000L) + (i * 2_000L), i, "home"));
            }
        }

        File.WriteAllLines(Path.Combine(_directory, name), lines);
    }

    private sealed class AfterEachBatch(IRecordSource inner, Action after) : IRecordSource
    {
        public string Name => inner.Name;

        public IReadOnlyList<string> Partitions => inner.Partitions;

        public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.SeekAsync(positions, cancellationToken);

        public async ValueTask<bool> ReadAsync(StreamKit.Records.RawRecordBatch batch, CancellationToken cancellationToken = default)
        {
            after();
            return await inner.ReadAsync(batch, cancellationToken);
        }

        public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default) => inner.CommitAsync(positions, cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
