using StreamKit.Core.Tests.Support;
using StreamKit.Core.Tests.Windows;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Runtime;

/// <summary>
/// A sink that holds its output until flushed (as Kinesis does) holds at most <see cref="PipelineRunnerOptions.MaxUnflushedOutput"/>
/// records plus one batch's output, however much input there is and however long a checkpoint interval is.
/// </summary>
public sealed class MemoryBoundTests
{
    private const int Batches = 400;
    private const int BatchSize = 50;

    [Theory]
    [InlineData(1_000)]
    [InlineData(5_000)]
    public async Task Run_SinkHoldingOutputUntilFlush_HoldsAtMostTheBoundPlusOneBatch(int bound)
    {
        var (sink, runner) = await RunAsync(bound);

        Assert.InRange(sink.PeakPending, bound, bound + BatchSize - 1);
        Assert.Equal(Batches * BatchSize, sink.Flushed);
        Assert.True(runner.Counters.Checkpoints >= Batches * BatchSize / (bound + BatchSize), $"{runner.Counters.Checkpoints} checkpoints");
    }

    [Fact]
    public async Task Run_BoundOff_SinkHoldsEverythingUntilTheCheckpointInterval()
    {
        // What the bound prevents: with only a time interval, the buffer follows the input.
        var (sink, _) = await RunAsync(0);

        Assert.Equal(Batches * BatchSize, sink.PeakPending);
    }

    private static async Task<(PendingSink Sink, PipelineRunner<Ev> Runner)> RunAsync(int bound)
    {
        var batches = new List<Batch>();
        for (var b = 0; b < Batches; b++)
        {
            var events = new Ev[BatchSize];
            for (var i = 0; i < BatchSize; i++)
            {
                events[i] = new Ev(((long)b * BatchSize) + i, i % 7, i, i);
            }

            batches.Add(new Batch(0, events, 0));
        }

        var clock = new ManualClock();
        var sink = new PendingSink();
        var pipeline = StreamPipeline.Create<Ev>(static e => e.Ts, new PipelineOptions { TimeProvider = clock }).To(sink);
        var source = new ScriptedSource(new Scenario { Batches = batches }, [], ScriptedSource.Redelivery.FromCommitted, ignoreSeek: false);
        var runner = new PipelineRunner<Ev>(pipeline, source, new EvDecoder(), new InMemoryDeadLetterSink(), new PipelineRunnerOptions
        {
            StateStore = new StreamKit.State.InMemoryStateStore(),
            CheckpointInterval = TimeSpan.MaxValue,
            MaxUnflushedOutput = bound,
            TimeProvider = clock,
        });
        await runner.RunAsync();
        return (sink, runner);
    }

    /// <summary>Counts what it holds between flushes, and the most it ever held.</summary>
    private sealed class PendingSink : IRecordSink<Ev>
    {
        public int Pending { get; private set; }

        public int PeakPending { get; private set; }

        public int Flushed { get; private set; }

        public void Write(ReadOnlySpan<Ev> records)
        {
            Pending += records.Length;
            PeakPending = Math.Max(PeakPending, Pending);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken = default)
        {
            Flushed += Pending;
            Pending = 0;
            return ValueTask.CompletedTask;
        }
    }
}
