namespace AwsLambda.Clickstream.Tests;

/// <summary>
/// The function sample, one process per invocation over a sequence of Kinesis batches, some delivered again whole or
/// bisected, gives the file run's answers.
/// </summary>
public sealed class ReplayTests : IClassFixture<ReplayTests.Deliveries>
{
    private const string FunctionDll = "AwsLambda.Clickstream.dll";
    private readonly Deliveries _deliveries;

    public ReplayTests(Deliveries deliveries) => _deliveries = deliveries;

    [Theory]
    [InlineData("filter")]
    [InlineData("tumbling")]
    [InlineData("hopping")]
    [InlineData("sessions")]
    public void Invocations_WithRedeliveries_GiveTheFileRunsOutput(string query)
    {
        var work = Directory.CreateTempSubdirectory("awslambda-clickstream-").FullName;
        try
        {
            var state = Path.Combine(work, "state");
            var output = Path.Combine(work, "function.jsonl");
            for (var i = 0; i < _deliveries.Events.Count; i++)
            {
                var args = new List<string> { "--invoke", _deliveries.Events[i], "--query", query, "--state-dir", state, "--output", output };
                if (i == _deliveries.Events.Count - 1)
                {
                    args.Add("--flush");
                }

                var (exit, response, error) = SampleProcess.Run(FunctionDll, [.. args]);
                Assert.True(exit == 0, $"delivery {i}: exit {exit}: {error}");
                Assert.Equal("{\"batchItemFailures\":[]}\n", response);
            }

            var expected = Path.Combine(work, "file.jsonl");
            var file = SampleProcess.Run("Clickstream.dll", "--input", _deliveries.InputFile, "--query", query, "--output", expected);
            Assert.True(file.Exit == 0, file.Error);

            // Same lines in the same order: the file run's output order is deterministic, and the function's matches it
            // line for line although its batches end elsewhere, so the comparison is exact rather than as multisets.
            var fileLines = File.ReadAllLines(expected);
            Assert.NotEmpty(fileLines);
            Assert.Equal(fileLines, File.ReadAllLines(output));

            // The data set's malformed line (at index 1,000) is dead-lettered once, however often its batch comes back.
            var fileDeadLetters = File.ReadAllLines(expected + ".deadletters.jsonl");
            Assert.Single(fileDeadLetters);
            Assert.Single(File.ReadAllLines(output + ".deadletters.jsonl"));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    [Fact]
    public void Invoke_BadArguments_UsageAndExit2()
    {
        var (exit, _, error) = SampleProcess.Run(FunctionDll, "--invoke", "event.json", "--query", "tumbling");
        Assert.Equal(2, exit);
        Assert.Contains("usage:", error, StringComparison.Ordinal);

        (exit, _, error) = SampleProcess.Run(FunctionDll, "--invoke", "event.json", "--query", "nope", "--state-dir", "s", "--output", "o.jsonl");
        Assert.Equal(2, exit);
        Assert.Contains("unknown query", error, StringComparison.Ordinal);
    }

    /// <summary>
    /// The first 20,000 events in 12 batches of uneven sizes (one shard), written once as event files in delivery order:
    /// batch 1 twice, batch 2 as two bisected halves then whole, batch 3's first half then the whole batch, batch 4
    /// again after batch 5, and the last batch (invoked with --flush).
    /// </summary>
    public sealed class Deliveries : IDisposable
    {
        private static readonly int[] s_sizes = [900, 2300, 1100, 3000, 600, 1700, 2500, 800, 1900, 1400, 2600, 1200];
        private readonly string _directory = Directory.CreateTempSubdirectory("awslambda-clickstream-events-").FullName;

        public Deliveries()
        {
            var lines = KinesisEvents.ReadEvents(20_000);
            InputFile = Path.Combine(_directory, "events.jsonl");
            File.WriteAllLines(InputFile, lines);

            var batches = new List<(int From, int To)>();
            var from = 0;
            foreach (var size in s_sizes)
            {
                batches.Add((from, from + size));
                from += size;
            }

            Assert.Equal(lines.Count, from);
            var deliveries = new List<(int From, int To)>();
            for (var b = 0; b < batches.Count; b++)
            {
                var (start, end) = batches[b];
                var middle = (start + end) / 2;
                switch (b)
                {
                    case 1:
                        deliveries.Add((start, end));
                        deliveries.Add((start, end));
                        break;
                    case 2:
                        deliveries.Add((start, middle));
                        deliveries.Add((middle, end));
                        deliveries.Add((start, end));
                        break;
                    case 3:
                        deliveries.Add((start, middle));
                        deliveries.Add((start, end));
                        break;
                    case 5:
                        deliveries.Add((start, end));
                        deliveries.Add(batches[4]);
                        break;
                    default:
                        deliveries.Add((start, end));
                        break;
                }
            }

            for (var i = 0; i < deliveries.Count; i++)
            {
                var path = Path.Combine(_directory, $"event-{i:D2}.json");
                File.WriteAllBytes(path, KinesisEvents.Create(lines, deliveries[i].From, deliveries[i].To));
                Events.Add(path);
            }
        }

        /// <summary>The event files, in delivery order.</summary>
        public List<string> Events { get; } = [];

        /// <summary>The same events as one JSON lines file, for the file run.</summary>
        public string InputFile { get; }

        public void Dispose() => Directory.Delete(_directory, recursive: true);
    }
}
