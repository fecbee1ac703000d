using System.Buffers;
using StreamKit.Files;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.MessagePack.Tests;

/// <summary>MessagePack files through <see cref="FileSource"/> and <see cref="FileSink{T}"/>: whole runs, restarts, and damaged input.</summary>
public class MessagePackFileTests : IDisposable
{
    private static readonly string[] s_countries = ["NZ", "DE", "", "JP", "BR"];
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("clicks.msgpack")]
    [InlineData("clicks.msgpack.gz")]
    [InlineData("clicks.mpk")]
    public async Task ReadAsync_MessagePackFile_EveryRecordOnceAtItsOffset(string name)
    {
        var codec = new ClickCodec();
        var clicks = Generate(codec, 3_000, seed: 1);
        var (bytes, offsets) = Encode(codec, clicks);
        var path = _dir.Write(name, bytes);

        var read = await FileReading.ReadAllAsync(new FileSource(path, Options()), capacity: 37);

        Assert.Equal(offsets, read.Select(static r => r.Position));
        Assert.All(read, r => Assert.Equal(path, r.Partition));
        Assert.Equal(clicks.Select(c => Describe(codec, c)), read.Select(r => Describe(codec, codec.Decode(r.Payload))));
    }

    [Fact]
    public async Task ReadAsync_DirectoryAndGlobMixingPlainAndGzip_EveryFileInNameOrder()
    {
        var codec = new ClickCodec();
        var counts = new[] { 500, 1, 1_200 };
        string[] names = ["a.msgpack", "b.msgpack.gz", "c.mpk"];
        var expected = new List<(string, long)>();
        for (var i = 0; i < names.Length; i++)
        {
            var (bytes, offsets) = Encode(codec, Generate(codec, counts[i], seed: i));
            var path = _dir.Write(names[i], bytes);
            expected.AddRange(offsets.Select(o => (path, o)));
        }

        _dir.Write("notes.txt", "not records");
        _dir.Write("d.jsonl", "{}\n"); // no MessagePack extension: a directory read leaves it out

        var all = await FileReading.ReadAllAsync(new FileSource(_dir.Path, Options()), capacity: 100);
        var globbed = await FileReading.ReadAllAsync(new FileSource(_dir.File("*.msgpack*"), Options()), capacity: 100);

        Assert.Equal(expected, all.Select(static r => (r.Partition, r.Position)));
        Assert.Equal(expected.Where(static e => !e.Item1.EndsWith(".mpk", StringComparison.Ordinal)), globbed.Select(static r => (r.Partition, r.Position)));
    }

    [Theory]
    [InlineData(2, false, false)]
    [InlineData(7, false, false)]
    [InlineData(7, true, false)]
    [InlineData(13, false, true)]
    [InlineData(13, true, true)]
    public async Task Run_StoppedMidFileThenRestarted_ResumesWithoutLossOrDuplication(int stopAfter, bool gzip, bool graceful)
    {
        var codec = new ClickCodec();
        var clicks = Generate(codec, 2_000, seed: 5);
        var (bytes, offsets) = Encode(codec, clicks);
        var middle = (int)offsets[clicks.Length / 2];
        bytes = [.. bytes[..middle], 0xc1, .. bytes[middle..]]; // one malformed byte between two records: one dead letter
        var path = _dir.Write(gzip ? "in.msgpack.gz" : "in.msgpack", bytes);
        var store = new FileStateStore(_dir.File("state"));
        var deadLetters = new InMemoryDeadLetterSink();

        var first = new PassThrough(new ClickCodec());
        using var cancel = new CancellationTokenSource();
        var stopping = graceful
            ? (IRecordSource)new CancelAfterSource(new FileSource(path, Options()), stopAfter, cancel)
            : new CrashingSource(new FileSource(path, Options()), stopAfter);
        var run = first.RunAsync(stopping, deadLetters, store, cancel.Token);
        if (graceful)
        {
            await run;
        }
        else
        {
            await Assert.ThrowsAsync<SimulatedCrashException>(() => run);
            first.Sink.DropUnflushed();
            deadLetters.DropUnflushed();
        }

        var counting = new CountingFormat(MessagePackFormat.Instance);
        var second = new PassThrough(new ClickCodec());
        var counters = await second.RunAsync(new FileSource(path, new FileSourceOptions { Formats = [counting] }), deadLetters, store);

        Assert.Equal(0, counters.Skipped);
        Assert.Equal(clicks.Select(c => Describe(codec, c)), [.. first.Flushed(), .. second.Flushed()]);
        Assert.Equal(counters.Read, counters.Processed + counters.DeadLettered);
        var letter = Assert.Single(deadLetters.Flushed);
        Assert.Equal([0xc1], letter.Payload);
        Assert.Contains("malformed", letter.Reason, StringComparison.Ordinal);
        if (!gzip && stopAfter >= 3) // a checkpoint was taken
        {
            Assert.True(counting.BytesRead < bytes.Length - 20_000, $"resuming read {counting.BytesRead} of {bytes.Length} bytes: it should seek");
        }
    }

    [Theory]
    [InlineData(3, 4_000)]
    [InlineData(8, 1_000_000)]
    [InlineData(11, 4_000)]
    public async Task FileSink_MessagePackOutputCrashThenRestart_PublishedFilesHoldEveryRecordOnce(int crashAfter, int maxFileBytes)
    {
        var codec = new ClickCodec();
        var clicks = Generate(codec, 1_500, seed: 9);
        var input = _dir.Write("in.msgpack", Encode(codec, clicks).Bytes);
        var output = _dir.File("out");
        var store = new FileStateStore(_dir.File("state"));

        var first = new PassThrough(new ClickCodec());
        var firstSink = MessagePackSink(first.Codec, output, maxFileBytes);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => first.RunAsync(new CrashingSource(new FileSource(input, Options()), crashAfter), new InMemoryDeadLetterSink(), store, sink: firstSink));
        Assert.All(Directory.GetFiles(output, "*.msgpack"), f => Assert.DoesNotContain(".inprogress", f, StringComparison.Ordinal));

        var second = new PassThrough(new ClickCodec());
        var secondSink = MessagePackSink(second.Codec, output, maxFileBytes);
        await second.RunAsync(new FileSource(input, Options()), new InMemoryDeadLetterSink(), store, sink: secondSink);

        Assert.Empty(Directory.GetFiles(output, "*.inprogress"));
        var files = Directory.GetFiles(output, "*.msgpack").Order(StringComparer.Ordinal).ToList();
        Assert.True(maxFileBytes > 100_000 || files.Count > 10, $"{files.Count} files");
        var reader = new ClickCodec();
        var published = new List<string>();
        foreach (var file in files)
        {
            var bytes = await File.ReadAllBytesAsync(file);
            var offset = 0;
            while (offset < bytes.Length)
            {
                Assert.Equal(OperationStatus.Done, MessagePackFraming.TryGetObjectLength(bytes.AsSpan(offset), out var length));
                published.Add(Describe(reader, reader.Decode(bytes.AsSpan(offset, length))));
                offset += length;
            }
        }

        Assert.Equal(clicks.Select(c => Describe(codec, c)), published);
    }

    [Fact]
    public async Task Run_MutatedMessagePack_CompletesAndAccountsForEveryByte()
    {
        await Seeds.ForEachAsync(300, async (seed, random) =>
        {
            var codec = new ClickCodec();
            var clicks = Generate(codec, random.Next(1, 120), seed);
            var (original, offsets) = Encode(codec, clicks);
            var mutation = Mutation.Apply(original, random, random.Next(1, 5));
            var path = _dir.Write($"m{seed}.msgpack", mutation.Bytes);

            // Framing alone: the records and dead letters tile the file, so no byte is lost or read twice.
            var raw = await FileReading.ReadAllAsync(new FileSource(path, Options()), capacity: random.Next(1, 50)).WaitAsync(TimeSpan.FromSeconds(30));
            long next = 0;
            foreach (var record in raw)
            {
                Assert.Equal(next, record.Position);
                Assert.True(mutation.Bytes.AsSpan((int)record.Position).StartsWith(record.Payload));
                Assert.True(record.Error is null || record.Error.Length > 0);
                next += record.Payload.Length;
            }

            Assert.Equal(mutation.Bytes.Length, next);

            var run = new PassThrough(new ClickCodec());
            var deadLetters = new InMemoryDeadLetterSink();
            var counters = await run.RunAsync(new FileSource(path, Options()), deadLetters, store: null, batchSize: random.Next(1, 64));

            Assert.Equal(raw.Count, counters.Read);
            Assert.Equal(counters.Read, counters.Processed + counters.DeadLettered);
            Assert.Equal(0, counters.Skipped);
            Assert.Equal(counters.DeadLettered, deadLetters.Letters.Count);
            Assert.All(deadLetters.Letters, static l => Assert.False(string.IsNullOrWhiteSpace(l.Reason)));

            // Every record that ends before the first edit is processed as written.
            var processed = run.Flushed();
            for (var i = 0; i < clicks.Length; i++)
            {
                var end = i + 1 < offsets.Count ? offsets[i + 1] : original.Length;
                if (end <= mutation.FirstTouched)
                {
                    Assert.Equal(Describe(codec, clicks[i]), processed[i]);
                }
            }
        });
    }

    [Fact]
    public async Task Run_MutatedMessagePackCrashAndRestart_SameRecordsAndDeadLettersAsUninterruptedRun()
    {
        await Seeds.ForEachAsync(40, async (seed, random) =>
        {
            var codec = new ClickCodec();
            var mutation = Mutation.Apply(Encode(codec, Generate(codec, random.Next(50, 400), seed)).Bytes, random, random.Next(1, 8));
            var path = _dir.Write($"r{seed}.msgpack", mutation.Bytes);
            var batchSize = random.Next(3, 40);
            var expected = new PassThrough(new ClickCodec());
            var expectedLetters = new InMemoryDeadLetterSink();
            var total = await expected.RunAsync(new FileSource(path, Options()), expectedLetters, store: null, batchSize: batchSize);

            var store = new FileStateStore(_dir.File($"state-{seed}"));
            var deadLetters = new InMemoryDeadLetterSink();
            var first = new PassThrough(new ClickCodec());
            var crashAfter = random.Next(1, Math.Max(2, (int)(total.Read / batchSize)));
            await Assert.ThrowsAsync<SimulatedCrashException>(() => first.RunAsync(new CrashingSource(new FileSource(path, Options()), crashAfter), deadLetters, store, batchSize: batchSize));
            first.Sink.DropUnflushed();
            deadLetters.DropUnflushed();
            var second = new PassThrough(new ClickCodec());
            await second.RunAsync(new FileSource(path, Options()), deadLetters, store, batchSize: batchSize);

            Assert.Equal(expected.Flushed(), [.. first.Flushed(), .. second.Flushed()]);
            Assert.Equal(expectedLetters.Letters.Select(static l => (l.Position, l.Reason)), deadLetters.Flushed.Select(static l => (l.Position, l.Reason)));
        });
    }

    [Fact]
    public async Task SeekAsync_AfterAnyPositionOfAMutatedFile_ReadsExactlyTheRest()
    {
        await Seeds.ForEachAsync(80, async (seed, random) =>
        {
            var codec = new ClickCodec();
            var large = random.Next(4) == 0; // past the pipe's 64 KiB buffer, so frames straddle reads
            var mutation = Mutation.Apply(Encode(codec, Generate(codec, large ? random.Next(2_000, 6_000) : random.Next(20, 300), seed)).Bytes, random, large ? random.Next(10, 40) : random.Next(1, 6));
            var path = _dir.Write($"s{seed}.msgpack{(random.Next(4) == 0 ? ".gz" : "")}", mutation.Bytes);
            var all = await FileReading.ReadAllAsync(new FileSource(path, Options()), capacity: 50);

            // Resuming after dead letters, and after a sample of the records.
            foreach (var i in Mutation.ResumePoints(all.Count, j => all[j].Error is not null, random))
            {
                var source = new FileSource(path, Options());
                await source.SeekAsync(new Dictionary<string, long> { [path] = all[i].Position });
                var rest = await FileReading.ReadAllAsync(source, capacity: random.Next(1, 50));
                Assert.Equal(all.Skip(i + 1).Select(static r => (r.Position, r.Payload.Length, r.Error)), rest.Select(static r => (r.Position, r.Payload.Length, r.Error)));
            }
        });
    }

    private static FileSourceOptions Options() => new() { Formats = [MessagePackFormat.Instance] };

    private static FileSink<Click> MessagePackSink(ClickCodec codec, string directory, int maxFileBytes) =>
        new(new FileSinkOptions<Click>
        {
            Directory = directory,
            Format = new EncodedFileFormat<Click>(codec.Encoder, ".msgpack"),
            MaxFileBytes = maxFileBytes,
        });

    /// <summary>Clicks with a unique user id each (the position in the input), so every record can be told apart.</summary>
    private static Click[] Generate(ClickCodec codec, int count, int seed)
    {
        var random = new Random(seed);
        var clicks = new Click[count];
        for (var i = 0; i < count; i++)
        {
            clicks[i] = codec.Sample(1_700_000_000_000 + (i * 250L) + random.Next(200), s_countries[random.Next(s_countries.Length)]);
            clicks[i].UserId = i;
            clicks[i].PageId = random.Next(-5, 100_000);
            clicks[i].EventType = (EventKind)random.Next(3);
            clicks[i].DurationMs = random.Next(0, 600_000);
            clicks[i].Revenue = Math.Round(random.NextDouble() * 50, 2);
            clicks[i].Mobile = random.Next(2) == 0;
            clicks[i].SessionId = random.NextInt64();
        }

        return clicks;
    }

    private static (byte[] Bytes, List<long> Offsets) Encode(ClickCodec codec, Click[] clicks)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var offsets = new List<long>(clicks.Length);
        foreach (var click in clicks)
        {
            offsets.Add(buffer.WrittenCount);
            codec.Encoder.Encode(click, buffer);
        }

        return (buffer.WrittenSpan.ToArray(), offsets);
    }

    private static string Describe(ClickCodec codec, in Click click) => codec.ToJson(click).ToJsonString();

    /// <summary>A pass-through pipeline decoding MessagePack clicks into a collecting sink (or a given one); the country interner is checkpointed.</summary>
    private sealed class PassThrough(ClickCodec codec)
    {
        public ClickCodec Codec => codec;

        public CollectingSink<Click> Sink { get; } = new();

        public List<string> Flushed() => [.. Sink.Flushed.Select(c => Describe(codec, c))];

        public async Task<RunnerCounters> RunAsync(
            IRecordSource source, IDeadLetterSink deadLetters, IStateStore? store, CancellationToken cancellationToken = default, int batchSize = 64, IRecordSink<Click>? sink = null)
        {
            var pipeline = StreamPipeline.Create<Click>(static c => c.Ts, new PipelineOptions { Name = "clicks" })
                .WithState(codec.Countries)
                .To(sink ?? Sink);
            var runner = new PipelineRunner<Click>(pipeline, source, codec.Decoder, deadLetters, new PipelineRunnerOptions
            {
                StateStore = store,
                BatchSize = batchSize,
                CheckpointEveryBatches = 3,
                CheckpointInterval = TimeSpan.FromHours(1),
            });
            try
            {
                await runner.RunAsync(cancellationToken).WaitAsync(TimeSpan.FromSeconds(30), CancellationToken.None);
            }
            finally
            {
                await source.DisposeAsync();
            }

            if (store is null && sink is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }

            return runner.Counters;
        }
    }
}
