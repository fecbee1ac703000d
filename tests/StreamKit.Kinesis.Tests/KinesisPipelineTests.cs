using System.Diagnostics;
using StreamKit.Kinesis.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using Xunit.Abstractions;

namespace StreamKit.Kinesis.Tests;

[Collection(KinesisEmulator.Collection)]
[Trait("Category", "Integration")]
public sealed class KinesisPipelineTests(KinesisEmulator emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Runner_StreamToStream_EveryClickArrivesInTheOutputStreamInKeyOrder()
    {
        var input = await emulator.CreateStreamAsync(2);
        var outputStream = await emulator.CreateStreamAsync(3);
        await emulator.PutAsync(input, Click.Records(1_000, users: 10));
        var deadLetters = new InMemoryDeadLetterSink();
        await using var sink = new KinesisSink<Click>(emulator.Configure(new KinesisSinkOptions<Click>
        {
            StreamName = outputStream,
            Encoder = Click.Encoder,
            PartitionKey = Click.WriteKey,
            DeadLetters = deadLetters,
        }));
        await using var source = new KinesisSource(emulator.Configure(new KinesisSourceOptions { StreamName = input, StateStore = new InMemoryStateStore() }));
        var written = new Pulse();
        var pipeline = StreamPipeline.Create<Click>(static c => c.Ts).Where(static c => c.Seq % 2 == 0).To(new ObservedSink<Click>(sink, written));
        var runner = new PipelineRunner<Click>(pipeline, source, Click.Decoder, deadLetters, new PipelineRunnerOptions { CheckpointEveryBatches = 1 });

        using var stop = new CancellationTokenSource();
        var run = runner.RunAsync(stop.Token);
        await written.WaitUntilAsync(() => sink.Count >= 500 || run.IsCompleted, "500 clicks written to the output stream", watched: run);
        await stop.CancelAsync();
        await run;

        var read = await emulator.ReadAllAsync(outputStream);
        Assert.Equal(500, read.Count);
        Assert.Empty(deadLetters.Letters);
        foreach (var user in read.GroupBy(r => r.Key))
        {
            Assert.Equal(Enumerable.Range(0, 50).Select(i => $"\"seq\":{i * 2}}}"), user.Select(r => r.Data[r.Data.IndexOf("\"seq\"", StringComparison.Ordinal)..]));
        }
    }

    /// <summary>Not an assertion on speed: prints records per second for docs/kinesis.md (kinesalite on this machine).</summary>
    [Fact]
    public async Task Throughput_SinkAndSourceAgainstKinesalite_PrintsRecordsPerSecond()
    {
        const int count = 20_000;
        var stream = await emulator.CreateStreamAsync(2);
        var deadLetters = new InMemoryDeadLetterSink();
        await using (var sink = new KinesisSink<Click>(emulator.Configure(new KinesisSinkOptions<Click>
        {
            StreamName = stream,
            Encoder = Click.Encoder,
            PartitionKey = Click.WriteKey,
            DeadLetters = deadLetters,
        })))
        {
            var clicks = KinesisSinkTests.Clicks(count, users: 1_000);
            var watch = Stopwatch.StartNew();
            for (var i = 0; i < count; i += 1_000)
            {
                sink.Write(clicks.AsSpan(i, 1_000));
                await sink.FlushAsync();
            }

            Report("sink (PutRecords, 1,000 keys, order per key kept)", count, watch.Elapsed);
            Assert.Equal(count, sink.Count);
        }

        var collected = new ClickSink();
        await using var source = new KinesisSource(emulator.Configure(new KinesisSourceOptions { StreamName = stream, StateStore = new InMemoryStateStore() }));
        var written = new Pulse();
        var runner = new PipelineRunner<Click>(StreamPipeline.Create<Click>(static c => c.Ts).To(new ObservedSink<Click>(collected, written)), source, Click.Decoder, deadLetters, new PipelineRunnerOptions { StateStore = new InMemoryStateStore() });
        using var stop = new CancellationTokenSource();
        var started = Stopwatch.StartNew();
        var run = runner.RunAsync(stop.Token);
        await written.WaitUntilAsync(() => collected.Count >= count || run.IsCompleted, $"{count} clicks read back", watched: run);
        var elapsed = started.Elapsed;
        await stop.CancelAsync();
        await run;

        Report("source -> pipeline (GetRecords, 2 shards, 10,000 per call)", count, elapsed);
        Assert.Equal(count, collected.Flushed.Count);
    }

    private void Report(string what, int count, TimeSpan elapsed)
    {
        var line = $"kinesalite throughput, {what}: {count} records in {elapsed.TotalSeconds:F2} s = {count / elapsed.TotalSeconds:F0} records/s";
        output.WriteLine(line);
        Console.WriteLine(line);
    }
}
