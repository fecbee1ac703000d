using StreamKit.Avro.Container;
using StreamKit.Avro.Framing;
using Avro;
using StreamKit.Avro.Tests.Interop;
using StreamKit.Files;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;

namespace StreamKit.Avro.Tests;

/// <summary>Avro container files through <see cref="FileSource"/> and <see cref="FileSink{T}"/>: whole runs, restarts, schema evolution, damaged input.</summary>
public class AvroFileTests : IDisposable
{
    private static readonly AvroEncoder<Click> s_encoder = new(Clicks.Map, "Click", "streamkit.tests");
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("clicks.avro", AvroCodec.Null)]
    [InlineData("clicks.avro", AvroCodec.Deflate)]
    [InlineData("clicks.avro.gz", AvroCodec.Null)]
    [InlineData("clicks.avro.gz", AvroCodec.Deflate)]
    public async Task ReadAsync_AvroFile_EveryRecordOnceAtItsBlockAndIndex(string name, AvroCodec codec)
    {
        var clicks = Clicks.Generate(3_000, seed: 1);
        var bytes = Container(clicks, codec, blockSize: 2_000);
        var path = _dir.Write(name, bytes);
        var format = new AvroFormat();

        var read = await FileReading.ReadAllAsync(new FileSource(path, Options(format)), capacity: 37);

        Assert.Equal(BlockPositions(bytes), read.Select(static r => r.Position));
        Assert.True(read.Select(static r => r.Position >> 20).Distinct().Count() > 10, "the file should have many blocks");
        Assert.All(read, r => Assert.Null(r.Error));
        Assert.Equal(clicks.Select(static c => c.ToString()), Decode(format, read));
    }

    [Fact]
    public async Task ReadAsync_DirectoryAndGlobMixingCodecsAndGzip_EveryFileInNameOrder()
    {
        (string Name, AvroCodec Codec, int Count)[] files = [("a.avro", AvroCodec.Null, 400), ("b.avro.gz", AvroCodec.Deflate, 1), ("c.avro", AvroCodec.Deflate, 900), ("d.avro.gz", AvroCodec.Null, 250)];
        var expected = new List<string>();
        for (var i = 0; i < files.Length; i++)
        {
            var clicks = Clicks.Generate(files[i].Count, seed: i);
            _dir.Write(files[i].Name, Container(clicks, files[i].Codec, blockSize: 1_000));
            expected.AddRange(clicks.Select(static c => c.ToString()));
        }

        _dir.Write("readme.txt", "not avro");
        var format = new AvroFormat();
        var all = await FileReading.ReadAllAsync(new FileSource(_dir.Path, Options(format)), capacity: 64);
        var globbed = await FileReading.ReadAllAsync(new FileSource(_dir.File("*.avro.gz"), Options(format)), capacity: 64);

        Assert.Equal([_dir.File("a.avro"), _dir.File("b.avro.gz"), _dir.File("c.avro"), _dir.File("d.avro.gz")], all.Select(static r => r.Partition).Distinct());
        Assert.Equal(expected, Decode(format, all));
        Assert.Equal(251, globbed.Count);
    }

    [Theory]
    [InlineData(2, AvroCodec.Null, false, false)]
    [InlineData(7, AvroCodec.Null, false, false)]
    [InlineData(10, AvroCodec.Deflate, false, false)]
    [InlineData(7, AvroCodec.Null, true, false)]
    [InlineData(10, AvroCodec.Deflate, true, false)]
    [InlineData(14, AvroCodec.Null, false, true)]
    [InlineData(14, AvroCodec.Deflate, true, true)]
    public async Task Run_StoppedMidFileThenRestarted_ResumesWithoutLossOrDuplication(int stopAfter, AvroCodec codec, bool gzip, bool graceful)
    {
        var clicks = Clicks.Generate(2_500, seed: 5);
        var bytes = Container(clicks, codec, blockSize: 3_000);
        var path = _dir.Write(gzip ? "in.avro.gz" : "in.avro", bytes);
        var store = new FileStateStore(_dir.File("state"));
        var deadLetters = new InMemoryDeadLetterSink();

        var first = new PassThrough();
        using var cancel = new CancellationTokenSource();
        var stopping = graceful
            ? (IRecordSource)new CancelAfterSource(first.Source(path), stopAfter, cancel)
            : new CrashingSource(first.Source(path), stopAfter);
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

        var second = new PassThrough();
        var counting = new CountingFormat(second.Format);
        var counters = await second.RunAsync(new FileSource(path, new FileSourceOptions { Formats = [counting] }), deadLetters, store);

        Assert.Equal(0, counters.Skipped);
        Assert.Equal(clicks.Select(static c => c.ToString()), [.. first.Flushed(), .. second.Flushed()]);
        Assert.Equal(counters.Read, counters.Processed + counters.DeadLettered);
        Assert.Empty(deadLetters.Letters);
        if (stopAfter >= 3 && !gzip) // a checkpoint was taken: jump to its block, past the header's first read
        {
            Assert.True(counting.LastSeek > HeaderLength(bytes), $"no seek to a block ({counting.LastSeek})");
            Assert.True(counting.BytesRead <= bytes.Length - counting.LastSeek + (64 * 1024), $"resuming read {counting.BytesRead} of {bytes.Length} bytes after seeking to {counting.LastSeek}");
        }
        else if (gzip)
        {
            Assert.Equal(-1, counting.LastSeek);
            Assert.Equal(bytes.Length, counting.BytesRead); // decompressed: all of it, again
        }
    }

    [Fact]
    public async Task Run_WriterSchemasDifferFromReaderMap_EveryFileDecodes()
    {
        var clicks = Clicks.Generate(600, seed: 3);
        string[] schemas =
        [
            // Reordered, with extra fields of several kinds, int for the long pageId, a nullable referrer.
            """
            {"type":"record","name":"Click","namespace":"other.writer","fields":[
              {"name":"durationMs","type":"int"},
              {"name":"tags","type":{"type":"array","items":"string"}},
              {"name":"referrer","type":["null","string"]},
              {"name":"eventType","type":"string"},
              {"name":"userId","type":"long"},
              {"name":"geo","type":{"type":"record","name":"Geo","fields":[{"name":"lat","type":"double"},{"name":"country","type":"string"}]}},
              {"name":"isBot","type":"boolean"},
              {"name":"revenue","type":"double"},
              {"name":"pageId","type":"int"},
              {"name":"ts","type":{"type":"long","logicalType":"timestamp-millis"}},
              {"name":"session","type":["null","long"]}]}
            """,

            // The reader's order, ts as a plain long, revenue as float (promoted), durationMs as int, no referrer.
            """
            {"type":"record","name":"Click","fields":[
              {"name":"ts","type":"long"},
              {"name":"userId","type":"long"},
              {"name":"pageId","type":"long"},
              {"name":"eventType","type":"string"},
              {"name":"durationMs","type":"int"},
              {"name":"revenue","type":"float"},
              {"name":"isBot","type":"boolean"},
              {"name":"extra","type":"bytes"}]}
            """,
        ];
        var expected = new List<string>();
        for (var f = 0; f < schemas.Length; f++)
        {
            var schema = Schema.Parse(schemas[f]);
            using var file = File.Create(_dir.File($"evolved-{f}.avro"));
            using var writer = new AvroContainerWriter(file, schema, new AvroContainerWriterOptions { BlockSize = 1_500, Codec = f == 0 ? AvroCodec.Null : AvroCodec.Deflate });
            for (var i = f * 300; i < (f + 1) * 300; i++)
            {
                var c = clicks[i];
                var referrer = c.Referrer == 0 ? null : Clicks.Text(c.Referrer - 1);
                var revenue = f == 0 ? c.Revenue : (float)c.Revenue;
                writer.Append(TestDatumWriter.Write(schema, new Dictionary<string, object?>
                {
                    ["ts"] = c.Ts, ["userId"] = c.UserId, ["pageId"] = c.PageId, ["eventType"] = Clicks.Text(c.EventType), ["durationMs"] = c.DurationMs,
                    ["revenue"] = revenue, ["isBot"] = c.IsBot, ["referrer"] = referrer, ["tags"] = new List<object?> { "a", i.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                    ["geo"] = new Dictionary<string, object?> { ["lat"] = 1.5, ["country"] = "NZ" }, ["session"] = i % 2 == 0 ? null : (object)(long)i,
                    ["extra"] = new byte[] { 1, 2, 3 },
                }));
                expected.Add((f == 0 ? c : c with { Revenue = (float)c.Revenue, Referrer = 0 }).ToString());
            }
        }

        // A third file whose schema lacks a field the reader requires: its records are dead-lettered, the rest decode.
        var incompatible = Schema.Parse("""{"type":"record","name":"Click","fields":[{"name":"ts","type":"long"},{"name":"userId","type":"long"}]}""");
        using (var file = File.Create(_dir.File("evolved-2.avro")))
        using (var writer = new AvroContainerWriter(file, incompatible))
        {
            for (var i = 0; i < 5; i++)
            {
                writer.Append(TestDatumWriter.Write(incompatible, new Dictionary<string, object?> { ["ts"] = 1L, ["userId"] = (long)i }));
            }
        }

        var run = new PassThrough();
        var deadLetters = new InMemoryDeadLetterSink();
        var counters = await run.RunAsync(run.Source(_dir.Path), deadLetters, store: null);

        Assert.Equal(expected, run.Flushed());
        Assert.Equal(5, deadLetters.Letters.Count);
        Assert.All(deadLetters.Letters, static l => Assert.Contains("does not resolve", l.Reason, StringComparison.Ordinal));
        Assert.Equal(605, counters.Read);
        Assert.Equal(3, run.Decoder.CompiledSchemaCount);
    }

    [Theory]
    [InlineData(AvroCodec.Null, 4, 6_000)]
    [InlineData(AvroCodec.Deflate, 9, 6_000)]
    [InlineData(AvroCodec.Null, 12, 1_000_000)]
    public async Task FileSink_AvroOutputCrashThenRestart_PublishedFilesHoldEveryRecordOnce(AvroCodec codec, int crashAfter, int maxFileBytes)
    {
        var clicks = Clicks.Generate(2_000, seed: 9);
        var input = _dir.Write("in.avro", Container(clicks, AvroCodec.Deflate, blockSize: 4_000));
        var output = _dir.File("out");
        var store = new FileStateStore(_dir.File("state"));

        var first = new PassThrough();
        await Assert.ThrowsAsync<SimulatedCrashException>(() =>
            first.RunAsync(new CrashingSource(first.Source(input), crashAfter), new InMemoryDeadLetterSink(), store, sink: AvroSink(output, codec, maxFileBytes)));
        var second = new PassThrough();
        await second.RunAsync(second.Source(input), new InMemoryDeadLetterSink(), store, sink: AvroSink(output, codec, maxFileBytes));

        Assert.Empty(Directory.GetFiles(output, "*.inprogress"));
        var files = Directory.GetFiles(output, "*.avro").Order(StringComparer.Ordinal).ToList();
        Assert.True(maxFileBytes > 100_000 || files.Count > 5, $"{files.Count} files");
        var published = new List<string>();
        foreach (var file in files)
        {
            using var reader = new AvroContainerReader(File.OpenRead(file));
            Assert.Equal(codec, reader.Codec);
            var decoder = reader.CreateDecoder(Clicks.Map);
            while (reader.Read(out var record, out _) is var status && status != AvroReadStatus.EndOfFile)
            {
                Assert.Equal(AvroReadStatus.Record, status);
                var click = default(Click);
                Assert.True(decoder.TryDecode(record, ref click, out var error), error);
                published.Add(click.ToString());
            }
        }

        Assert.Equal(clicks.Select(static c => c.ToString()), published);
    }

    [Theory]
    [Trait("Category", "Interop")]
    [InlineData(AvroCodec.Null)]
    [InlineData(AvroCodec.Deflate)]
    public async Task FileSink_AvroOutput_PythonAvroReadsEqualContent(AvroCodec codec)
    {
        var clicks = Clicks.Generate(1_000, seed: 4);
        var sink = AvroSink(_dir.Path, codec, maxFileBytes: 1 << 30);
        sink.Write(clicks.AsSpan(0, 400));
        sink.Write(clicks.AsSpan(400));
        await sink.DisposeAsync();

        var path = Assert.Single(sink.Published);
        var (pythonCodec, records) = PythonAvro.ReadContainer(path);

        Assert.Equal(codec == AvroCodec.Deflate ? "deflate" : "null", pythonCodec);
        Assert.Equal(clicks.Length, records.Count);
        for (var i = 0; i < clicks.Length; i++)
        {
            var c = clicks[i];
            var r = records[i];
            Assert.Equal(c.Ts, r.GetProperty("ts").GetInt64());
            Assert.Equal(c.UserId, r.GetProperty("userId").GetInt64());
            Assert.Equal(c.PageId, r.GetProperty("pageId").GetInt64());
            Assert.Equal(Clicks.Text(c.EventType), r.GetProperty("eventType").GetString());
            Assert.Equal(c.DurationMs, r.GetProperty("durationMs").GetInt32());
            Assert.Equal(c.Revenue, r.GetProperty("revenue").GetDouble());
            Assert.Equal(c.IsBot, r.GetProperty("isBot").GetBoolean());
            Assert.Equal(Clicks.Text(c.Referrer - 1), r.GetProperty("referrer").GetString());
        }
    }

    [Fact]
    public async Task Run_MutatedAvro_CompletesOrRejectsADamagedHeaderWithInvalidData()
    {
        var rejected = 0;
        await Seeds.ForEachAsync(250, async (seed, random) =>
        {
            var clicks = Clicks.Generate(random.Next(1, 200), seed);
            var codec = random.Next(2) == 0 ? AvroCodec.Null : AvroCodec.Deflate;
            var original = Container(clicks, codec, blockSize: random.Next(50, 3_000));
            var headerLength = HeaderLength(original);
            var mutation = Mutation.Apply(original, random, random.Next(1, 5));
            var path = _dir.Write($"m{seed}.avro", mutation.Bytes);

            var run = new PassThrough();
            var deadLetters = new InMemoryDeadLetterSink();
            RunnerCounters counters;
            try
            {
                counters = await run.RunAsync(run.Source(path), deadLetters, store: null, batchSize: random.Next(1, 64));
            }
            catch (InvalidDataException ex)
            {
                // Without a readable header there is no schema and no sync marker: nothing in the file can be read.
                Assert.True(mutation.FirstTouched < headerLength, $"an intact header (first edit at {mutation.FirstTouched}, header {headerLength} bytes) was rejected: {ex.Message}");
                Assert.Contains(path, ex.Message, StringComparison.Ordinal);
                rejected++;
                return;
            }

            Assert.Equal(counters.Read, counters.Processed + counters.DeadLettered);
            Assert.Equal(0, counters.Skipped);
            Assert.Equal(counters.DeadLettered, deadLetters.Letters.Count);
            Assert.All(deadLetters.Letters, static l => Assert.False(string.IsNullOrWhiteSpace(l.Reason)));
            Assert.True(deadLetters.Letters.Select(static l => l.Position).SequenceEqual(deadLetters.Letters.Select(static l => l.Position).Order().Distinct()));

            // Every record of a block that ends (sync marker included) before the first edit is processed as written.
            var processed = run.Flushed();
            var positions = BlockPositions(original);
            var blockStarts = positions.Select(static p => p >> 20).Distinct().ToList();
            for (var i = 0; i < clicks.Length; i++)
            {
                var block = blockStarts.IndexOf(positions[i] >> 20);
                var blockEnd = block + 1 < blockStarts.Count ? blockStarts[block + 1] : original.Length;
                if (blockEnd <= mutation.FirstTouched)
                {
                    Assert.Equal(clicks[i].ToString(), processed[i]);
                }
            }
        });

        Assert.InRange(rejected, 1, 200); // some headers were hit, most runs read on
    }

    [Fact]
    public async Task Run_MutatedAvroCrashAndRestart_SameRecordsAndDeadLettersAsUninterruptedRun()
    {
        await Seeds.ForEachAsync(60, async (seed, random) =>
        {
            var clicks = Clicks.Generate(random.Next(50, 500), seed);
            var codec = random.Next(2) == 0 ? AvroCodec.Null : AvroCodec.Deflate;
            var original = Container(clicks, codec, blockSize: random.Next(200, 2_000));
            var headerLength = HeaderLength(original);

            // Damage only the blocks: a damaged header makes the whole file unreadable (see the test above).
            var mutation = Mutation.Apply(original, random, random.Next(1, 8), from: (int)headerLength);
            var gzip = random.Next(4) == 0;
            var path = _dir.Write($"r{seed}.avro{(gzip ? ".gz" : "")}", mutation.Bytes);
            var batchSize = random.Next(3, 40);
            var expected = new PassThrough();
            var expectedLetters = new InMemoryDeadLetterSink();
            var total = await expected.RunAsync(expected.Source(path), expectedLetters, store: null, batchSize: batchSize);

            var store = new FileStateStore(_dir.File($"state-{seed}"));
            var deadLetters = new InMemoryDeadLetterSink();
            var first = new PassThrough();
            var crashAfter = random.Next(1, Math.Max(2, (int)(total.Read / batchSize)));
            await Assert.ThrowsAsync<SimulatedCrashException>(() => first.RunAsync(new CrashingSource(first.Source(path), crashAfter), deadLetters, store, batchSize: batchSize));
            first.Sink.DropUnflushed();
            deadLetters.DropUnflushed();
            var second = new PassThrough();
            await second.RunAsync(second.Source(path), deadLetters, store, batchSize: batchSize);

            Assert.Equal(expected.Flushed(), [.. first.Flushed(), .. second.Flushed()]);
            Assert.Equal(expectedLetters.Letters.Select(static l => (l.Position, Unnumbered(l.Reason))), deadLetters.Flushed.Select(static l => (l.Position, Unnumbered(l.Reason))));
        });
    }

    [Fact]
    public async Task SeekAsync_AfterAnyPositionOfAMutatedFile_ReadsExactlyTheRest()
    {
        await Seeds.ForEachAsync(60, async (seed, random) =>
        {
            var codec = random.Next(2) == 0 ? AvroCodec.Null : AvroCodec.Deflate;
            var original = Container(Clicks.Generate(random.Next(20, 300), seed), codec, blockSize: random.Next(100, 1_500));
            var mutation = Mutation.Apply(original, random, random.Next(1, 6), from: (int)HeaderLength(original));
            var path = _dir.Write($"s{seed}.avro{(random.Next(4) == 0 ? ".gz" : "")}", mutation.Bytes);
            var all = await FileReading.ReadAllAsync(new FileSource(path, Options(new AvroFormat())), capacity: 50);
            Assert.True(all.Select(static r => r.Position).SequenceEqual(all.Select(static r => r.Position).Order().Distinct()), "positions must increase");

            // Resuming after dead letters, and after a sample of the records.
            foreach (var i in Mutation.ResumePoints(all.Count, j => all[j].Error is not null, random))
            {
                var source = new FileSource(path, Options(new AvroFormat()));
                await source.SeekAsync(new Dictionary<string, long> { [path] = all[i].Position });
                var rest = await FileReading.ReadAllAsync(source, capacity: random.Next(1, 50));
                Assert.Equal(all.Skip(i + 1).Select(static r => (r.Position, r.Error is null)), rest.Select(static r => (r.Position, r.Error is null)));
            }
        });
    }

    /// <summary>A corrupt-block reason without the block's ordinal, which counts from where reading started (a resumed reader starts mid-file).</summary>
    private static string Unnumbered(string reason) => System.Text.RegularExpressions.Regex.Replace(reason, @"Block \d+ at offset", "Block at offset");

    private static FileSourceOptions Options(AvroFormat format) => new() { Formats = [format] };

    private static FileSink<Click> AvroSink(string directory, AvroCodec codec, int maxFileBytes) =>
        new(new FileSinkOptions<Click>
        {
            Directory = directory,
            Format = new AvroFileWriterFormat<Click>(s_encoder, new AvroContainerWriterOptions { Codec = codec, BlockSize = 1_000 }),
            MaxFileBytes = maxFileBytes,
        });

    private static byte[] Container(Click[] clicks, AvroCodec codec, int blockSize)
    {
        using var stream = new MemoryStream();
        using (var writer = new AvroContainerWriter(stream, s_encoder.Schema, new AvroContainerWriterOptions { Codec = codec, BlockSize = blockSize, LeaveOpen = true }))
        {
            foreach (var click in clicks)
            {
                writer.Append(click, s_encoder);
            }
        }

        return stream.ToArray();
    }

    private static long HeaderLength(byte[] file)
    {
        using var reader = new AvroContainerReader(new MemoryStream(file));
        return reader.FirstBlockOffset;
    }

    /// <summary>The <see cref="AvroFormat"/> position of every record: block offset × 2²⁰ + index.</summary>
    private static List<long> BlockPositions(byte[] file)
    {
        using var reader = new AvroContainerReader(new MemoryStream(file));
        var positions = new List<long>();
        while (reader.Read(out _, out var at) == AvroReadStatus.Record)
        {
            positions.Add((at.BlockOffset << 20) | at.RecordIndex);
        }

        return positions;
    }

    private static List<string> Decode(AvroFormat format, List<RawCopy> records)
    {
        var decoder = new AvroFramedDecoder<Click>(Clicks.Map, format.Schemas, AvroFraming.SingleObject);
        return
        [
            .. records.Select(r =>
            {
                var click = default(Click);
                Assert.True(decoder.TryDecode(r.Payload, ref click, out var error), error);
                return click.ToString();
            }),
        ];
    }

    /// <summary>A pass-through pipeline over Avro files (its own format and schema store, as a new process would have) into a collecting sink or a given one.</summary>
    private sealed class PassThrough
    {
        public PassThrough()
        {
            Decoder = new AvroFramedDecoder<Click>(Clicks.Map, Format.Schemas, AvroFraming.SingleObject);
        }

        public AvroFormat Format { get; } = new();

        public AvroFramedDecoder<Click> Decoder { get; }

        public CollectingSink<Click> Sink { get; } = new();

        public FileSource Source(string path) => new(path, Options(Format));

        public List<string> Flushed() => [.. Sink.Flushed.Select(static c => c.ToString())];

        public async Task<RunnerCounters> RunAsync(
            IRecordSource source, IDeadLetterSink deadLetters, IStateStore? store, CancellationToken cancellationToken = default, int batchSize = 64, IRecordSink<Click>? sink = null)
        {
            var pipeline = StreamPipeline.Create<Click>(static c => c.Ts, new PipelineOptions { Name = "clicks" }).To(sink ?? Sink);
            var runner = new PipelineRunner<Click>(pipeline, source, Decoder, deadLetters, new PipelineRunnerOptions
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
