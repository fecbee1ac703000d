namespace AzureFunctions.Clickstream.Tests;

public sealed class InvokerTests : IDisposable
{
    // 20,000 events (about the first 2 minutes and 40 seconds of the data set's event time) in 10 uneven batches.
    private const int EventCount = 20_000;
    private static readonly int[] s_cuts = [0, 1500, 1501, 4200, 7000, 7300, 10_100, 13_000, 13_001, 16_500, 20_000];
    private static readonly Lazy<List<string>> s_events = new(() => BatchFiles.Events(EventCount));
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "streamkit-tests", Guid.NewGuid().ToString("N"));

    public InvokerTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("filter")]
    [InlineData("tumbling")]
    [InlineData("hopping")]
    [InlineData("sessions")]
    public void Invoke_BatchesInNewProcessesSomeTwiceWholeOrHalved_GivesTheFileRunsAnswers(string query)
    {
        var events = s_events.Value;
        var output = Path.Combine(_dir, "out.jsonl");
        var state = Path.Combine(_dir, "state");
        int processed = 0, deadLettered = 0;
        for (var b = 0; b + 1 < s_cuts.Length; b++)
        {
            var (from, to) = (s_cuts[b], s_cuts[b + 1]);
            var last = b + 2 == s_cuts.Length;
            var batch = BatchFiles.Write(Path.Combine(_dir, $"batch{b}.json"), events, from, to);
            var first = Invoke(batch, query, state, output, last);
            Assert.Equal(("0", to - from, 0, 0, last), (first.PartitionId, first.Events, first.Skipped, first.PastDeadline, first.Flushed));
            processed += first.Processed;
            deadLettered += first.DeadLettered;

            // Delivered again (the host died before checkpointing): every third batch whole, others by one half.
            if (last)
            {
                continue;
            }

            var middle = (from + to + 1) / 2;
            var (againFrom, againTo) = (b % 3) switch { 0 => (from, to), 1 => (from, middle), _ => (middle, to) };
            var again = Invoke(BatchFiles.Write(Path.Combine(_dir, $"again{b}.json"), events, againFrom, againTo), query, state, output, flush: false);
            Assert.Equal((0, againTo - againFrom, 0), (again.Processed, again.Skipped, again.DeadLettered));
        }

        Assert.Equal(EventCount, processed + deadLettered);
        Assert.False(File.Exists(Path.Combine(_dir, "out.jsonl.unprocessed.jsonl")) && new FileInfo(Path.Combine(_dir, "out.jsonl.unprocessed.jsonl")).Length > 0);

        var reference = Path.Combine(_dir, "reference.jsonl");
        var fileRun = LocalInvoker.FileRun("--input", BatchFiles.WriteLines(Path.Combine(_dir, "events.jsonl"), events), "--query", query, "--output", reference);
        Assert.True(fileRun.Exit == 0, fileRun.Error);

        // Line for line, in order: the file run's output order is repeatable (two runs give the same file), and the
        // invocations, which close windows in other groupings, reproduce it.
        var expected = File.ReadAllLines(reference);
        Assert.NotEmpty(expected);
        Assert.Equal(expected, File.ReadAllLines(output));
        Assert.Equal(File.ReadAllLines(reference + ".deadletters.jsonl").Length, deadLettered);
    }

    [Fact]
    public void Invoke_DeadlineWithinTheMargin_EveryEventWrittenToTheUnprocessedFileAndNothingSaved()
    {
        var events = s_events.Value;
        var batch = BatchFiles.Write(Path.Combine(_dir, "batch.json"), events, 0, 300);
        var output = Path.Combine(_dir, "out.jsonl");
        var state = Path.Combine(_dir, "state");

        // A 1 s function timeout leaves nothing before the 2 s checkpoint margin.
        var summary = LocalInvoker.Invoke("--invoke", batch, "--query", "tumbling", "--state-dir", state, "--output", output, "--timeout", "1").Summary();

        Assert.Equal((300, 0, 300, 300), (summary.Events, summary.Processed, summary.DeadLettered, summary.PastDeadline));
        var unprocessed = File.ReadAllLines(output + ".unprocessed.jsonl");
        Assert.Equal(300, unprocessed.Length);
        Assert.Contains("\"position\":1000,", unprocessed[0], StringComparison.Ordinal);
        Assert.Contains("not processed before the invocation deadline", unprocessed[0], StringComparison.Ordinal);

        // The same batch with time to spare is processed in full: the first invocation saved no progress.
        Assert.Equal(300, Invoke(batch, "tumbling", state, output, flush: false).Processed);
    }

    [Theory]
    [InlineData]
    [InlineData("--invoke", "b.json", "--query", "tumbling", "--state-dir", "s")]
    [InlineData("--invoke", "b.json", "--query", "nope", "--state-dir", "s", "--output", "o.jsonl")]
    [InlineData("--invoke", "b.json", "--query", "tumbling", "--state-dir", "s", "--output", "o.jsonl", "--timeout", "-3")]
    [InlineData("--invoke", "b.json", "--query", "tumbling", "--state-dir", "s", "--output", "o.jsonl", "--bogus")]
    public void Invoke_BadArguments_UsageOnStandardErrorAndExit2(params string[] args)
    {
        var run = LocalInvoker.Invoke(args);

        Assert.Equal(2, run.Exit);
        Assert.Contains("usage: AzureFunctions.Clickstream --invoke BATCH.json", run.Error, StringComparison.Ordinal);
        Assert.Empty(run.Output);
    }

    [Fact]
    public void Invoke_BatchNotTheTriggerShape_ErrorAndExit1()
    {
        var batch = Path.Combine(_dir, "bad.json");
        File.WriteAllText(batch, """{"events":[]}""");

        var run = LocalInvoker.Invoke("--invoke", batch, "--query", "filter", "--state-dir", Path.Combine(_dir, "s"), "--output", Path.Combine(_dir, "o.jsonl"));

        Assert.Equal(1, run.Exit);
        Assert.Contains("partitionId", run.Error, StringComparison.Ordinal);
    }

    private static Summary Invoke(string batch, string query, string state, string output, bool flush)
    {
        string[] args = flush
            ? ["--invoke", batch, "--query", query, "--state-dir", state, "--output", output, "--flush"]
            : ["--invoke", batch, "--query", query, "--state-dir", state, "--output", output];
        return LocalInvoker.Invoke(args).Summary();
    }
}
