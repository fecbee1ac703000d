using System.Globalization;
using System.Text;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Runtime;
using StreamKit.Files;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Core.Tests.Files;

/// <summary>Random byte flips, truncations and insertions into valid JSON lines never crash a run, and every line is accounted for.</summary>
public class MutationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Run_MutatedJsonLines_CompletesAndAccountsForEveryLine()
    {
        await Seeds.ForEachAsync(400, async (seed, random) =>
        {
            var lines = Lines(random, random.Next(1, 150));
            var original = Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n");
            var mutation = Mutation.Apply(original, random, random.Next(1, 5));
            var gzip = random.Next(4) == 0;
            var path = _dir.Write($"m{seed}.jsonl{(gzip ? ".gz" : "")}", mutation.Bytes);
            var maxRecordBytes = random.Next(3) == 0 ? random.Next(20, 120) : 1 << 20;

            var run = await RunAsync(path, maxRecordBytes, batchSize: random.Next(1, 70), store: null);

            var counters = run.Counters;
            Assert.Equal(RecordsIn(mutation.Bytes), counters.Read);
            Assert.Equal(counters.Read, counters.Processed + counters.DeadLettered);
            Assert.Equal(0, counters.Skipped);
            Assert.Equal(counters.Processed, run.Sink.Records.Count);
            Assert.Equal(counters.DeadLettered, run.DeadLetters.Letters.Count);
            var previous = -1L;
            foreach (var letter in run.DeadLetters.Letters)
            {
                Assert.False(string.IsNullOrWhiteSpace(letter.Reason));
                Assert.Equal(path, letter.Partition);
                Assert.True(letter.Position > previous, "dead letters come in file order");
                Assert.True(mutation.Bytes.AsSpan((int)letter.Position).StartsWith(letter.Payload), $"the dead letter at {letter.Position} does not carry the file's bytes");
                previous = letter.Position;
            }

            // Every line no mutation touched is processed as written.
            var processed = run.Identities();
            Assert.Equal(run.Sink.Records.Count, processed.Count);
            var lineStart = 0;
            for (var i = 0; i < lines.Count; i++)
            {
                var lineEnd = lineStart + Encoding.UTF8.GetByteCount(lines[i]) + 1;
                if (!mutation.Touches(lineStart, lineEnd, original) && lineEnd - lineStart - 1 <= maxRecordBytes)
                {
                    Assert.True(processed.Remove(Identity(lines[i])), $"untouched line {i} was not processed: {lines[i]} (edits: {mutation.Describe()})");
                }

                lineStart = lineEnd;
            }
        });
    }

    [Fact]
    public async Task Run_MutatedJsonLinesCrashAndRestart_SameRecordsAndDeadLettersAsUninterruptedRun()
    {
        await Seeds.ForEachAsync(40, async (seed, random) =>
        {
            var lines = Lines(random, random.Next(50, 400));
            var mutation = Mutation.Apply(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), random, random.Next(1, 8));
            var gzip = random.Next(3) == 0;
            var path = _dir.Write($"r{seed}.jsonl{(gzip ? ".gz" : "")}", mutation.Bytes);
            var batchSize = random.Next(3, 40);
            var expected = await RunAsync(path, 1 << 20, batchSize, store: null);

            var store = new FileStateStore(_dir.File($"state-{seed}"));
            var crashed = new Run(new CollectingSink<Visit>(), new InMemoryDeadLetterSink(), new VisitCodec());
            var crashAfter = random.Next(1, Math.Max(2, (int)(expected.Counters.Read / batchSize)));
            await Assert.ThrowsAsync<SimulatedCrashException>(() => RunAsync(path, 1 << 20, batchSize, store, crashed, crashAfter));
            crashed.Sink.DropUnflushed();
            crashed.DeadLetters.DropUnflushed();
            var resumed = await RunAsync(path, 1 << 20, batchSize, store, new Run(new CollectingSink<Visit>(), crashed.DeadLetters, new VisitCodec()));
            var deadLetters = crashed.DeadLetters;

            Assert.Equal(0, resumed.Counters.Skipped);
            Assert.Equal(expected.Identities().Order(), crashed.Identities().Concat(resumed.Identities()).Order());
            Assert.Equal(expected.DeadLetters.Letters.Select(static l => (l.Position, l.Reason)), deadLetters.Flushed.Select(static l => (l.Position, l.Reason)));
        });
    }

    [Fact]
    public async Task Run_MutatedGzipStream_CompletesOrFailsWithInvalidDataNamingTheFile()
    {
        var failed = 0;
        await Seeds.ForEachAsync(150, async (seed, random) =>
        {
            var lines = Lines(random, random.Next(1, 400));
            var plain = _dir.Write($"g{seed}.jsonl.gz", string.Join('\n', lines) + "\n");
            var compressed = File.ReadAllBytes(plain);
            File.Delete(plain);

            // Damage the compressed bytes: past a corrupt deflate stream nothing can be recovered, so the run must
            // either read what decompresses (a damaged trailer may go unnoticed) or stop with the file's name.
            var path = _dir.File($"damaged-{seed}.jsonl.gz");
            await File.WriteAllBytesAsync(path, Mutation.Apply(compressed, random, random.Next(1, 4)).Bytes);
            try
            {
                var run = await RunAsync(path, 1 << 20, batchSize: 50, store: null);
                Assert.Equal(run.Counters.Read, run.Counters.Processed + run.Counters.DeadLettered);
            }
            catch (InvalidDataException ex)
            {
                Assert.Contains(path, ex.Message, StringComparison.Ordinal);
                failed++;
            }
        });

        Assert.True(failed > 0, "some damage should be detected");
    }

    [Fact]
    public async Task SeekAsync_AfterAnyPositionOfAMutatedFile_ReadsExactlyTheRest()
    {
        await Seeds.ForEachAsync(80, async (seed, random) =>
        {
            var large = random.Next(4) == 0; // past the pipe's 64 KiB buffer, so lines straddle reads
            var lines = Lines(random, large ? random.Next(2_000, 5_000) : random.Next(20, 300));
            var mutation = Mutation.Apply(Encoding.UTF8.GetBytes(string.Join('\n', lines) + "\n"), random, large ? random.Next(10, 40) : random.Next(1, 6));
            var path = _dir.Write($"s{seed}.jsonl{(random.Next(4) == 0 ? ".gz" : "")}", mutation.Bytes);
            var options = new FileSourceOptions { MaxRecordBytes = random.Next(2) == 0 ? 40 : 1 << 20 };
            var all = await ReadAllAsync(new FileSource(path, options), capacity: 50);

            // Resuming after dead letters, and after a sample of the records.
            foreach (var i in Mutation.ResumePoints(all.Count, j => all[j].Error is not null, random))
            {
                var source = new FileSource(path, options);
                await source.SeekAsync(new Dictionary<string, long> { [path] = all[i].Position });

                // The reason for an over-long line may say "47+ bytes" when a read ended inside it: compare all but that.
                var rest = await ReadAllAsync(source, capacity: random.Next(1, 50));
                Assert.Equal(all.Skip(i + 1).Select(static r => (r.Position, r.Payload, r.Error is null)), rest.Select(static r => (r.Position, r.Payload, r.Error is null)));
            }
        });
    }

    private static async Task<List<(long Position, string Payload, string? Error)>> ReadAllAsync(FileSource source, int capacity)
    {
        var records = new List<(long, string, string?)>();
        using var batch = new Records.RawRecordBatch(capacity);
        await using (source)
        {
            while (await source.ReadAsync(batch))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    records.Add((batch[i].Position, Convert.ToHexString(batch[i].Value), batch[i].Error));
                }

                batch.Clear();
            }
        }

        return records;
    }

    /// <summary>Records the JSON lines reader finds in <paramref name="bytes"/>: non-blank lines, after a byte-order mark.</summary>
    private static long RecordsIn(byte[] bytes)
    {
        ReadOnlySpan<byte> rest = bytes;
        if (rest.StartsWith("\uFEFF"u8))
        {
            rest = rest[3..];
        }

        long count = 0;
        while (!rest.IsEmpty)
        {
            var newline = rest.IndexOf((byte)'\n');
            var line = newline < 0 ? rest : rest[..newline];
            if (!line.IsEmpty && line[^1] == (byte)'\r')
            {
                line = line[..^1];
            }

            if (line.IndexOfAnyExcept(" \t"u8) >= 0)
            {
                count++;
            }

            rest = newline < 0 ? default : rest[(newline + 1)..];
        }

        return count;
    }

    private static List<string> Lines(Random random, int count)
    {
        var lines = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            lines.Add(VisitCodec.Line(VisitData.Start + (i * 1000L) + random.Next(500), i + 1, VisitData.Pages[random.Next(VisitData.Pages.Length)]));
        }

        return lines;
    }

    private static string Identity(string line)
    {
        using var json = System.Text.Json.JsonDocument.Parse(line);
        var root = json.RootElement;
        return string.Create(CultureInfo.InvariantCulture, $"{root.GetProperty("ts").GetInt64()}|{root.GetProperty("userId").GetInt32()}|{root.GetProperty("page").GetString()}");
    }

    private static Task<Run> RunAsync(string path, int maxRecordBytes, int batchSize, IStateStore? store) =>
        RunAsync(path, maxRecordBytes, batchSize, store, new Run(new CollectingSink<Visit>(), new InMemoryDeadLetterSink(), new VisitCodec()));

    /// <summary>Decodes <paramref name="path"/> into a pass-through pipeline; checkpoints every 2 batches when given a store; dies after <paramref name="crashAfter"/> batches.</summary>
    private static async Task<Run> RunAsync(string path, int maxRecordBytes, int batchSize, IStateStore? store, Run run, int? crashAfter = null)
    {
        var pipeline = StreamPipeline.Create<Visit>(static v => v.Ts, new PipelineOptions { Name = "mutations" }).WithState(run.Codec.Pages).To(run.Sink);
        IRecordSource source = new FileSource(path, new FileSourceOptions { MaxRecordBytes = maxRecordBytes });
        if (crashAfter is { } batches)
        {
            source = new CrashingSource(source, batches);
        }

        var runner = new PipelineRunner<Visit>(pipeline, source, new JsonLinesDecoder<Visit>(run.Codec.Map), run.DeadLetters, new PipelineRunnerOptions
        {
            BatchSize = batchSize,
            StateStore = store,
            CheckpointEveryBatches = 2,
            CheckpointInterval = TimeSpan.FromHours(1),
        });
        run.Counters = runner.Counters;
        try
        {
            await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            await source.DisposeAsync();
        }

        return run;
    }

    private sealed record Run(CollectingSink<Visit> Sink, InMemoryDeadLetterSink DeadLetters, VisitCodec Codec)
    {
        public RunnerCounters Counters { get; set; } = new();

        /// <summary>The flushed records as <c>ts|userId|page</c>, page names through this run's interner.</summary>
        public List<string> Identities() =>
            [.. Sink.Flushed.Select(v => string.Create(CultureInfo.InvariantCulture, $"{v.Ts}|{v.UserId}|{Codec.PageName(v.Page)}"))];
    }
}
