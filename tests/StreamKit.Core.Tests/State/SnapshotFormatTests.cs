using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using StreamKit.Core.Tests.Runtime;
using StreamKit.Core.Tests.Support;
using StreamKit.Core.Tests.Windows;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;
using Row = StreamKit.Core.Tests.Windows.Row;

namespace StreamKit.Core.Tests.State;

/// <summary>
/// Upgrade safety: checkpoints written by this version (checked in under Golden/) are restored with the same results
/// by later versions, the format is stable, and a changed window definition or an unknown format is refused with a
/// clear error. Regenerate the golden files with STREAMKIT_UPDATE_GOLDEN=1 only when the format version (or a
/// stage's state version) is raised, after adding the new file's name below: it writes only the files this build
/// writes, and the old files and their tests stay, since the new version must still read them.
/// </summary>
public sealed class SnapshotFormatTests
{
    private const string Key = "golden";
    private const int BatchesBeforeCheckpoint = 40;

    public static TheoryData<string> Windows() => ["hopping", "session"];

    /// <summary>
    /// Every checked-in checkpoint and its window. <c>-state2</c>: session state version 2 (16-byte queue entries) inside
    /// format 1; <c>-state3</c>: version 3 (32-byte sessions, 8-byte ring entries).
    /// </summary>
    public static TheoryData<string, string> Checkpoints() => new()
    {
        { "checkpoint-v1-hopping", "hopping" },
        { "checkpoint-v1-session", "session" },
        { "checkpoint-v1-session-state2", "session" },
        { "checkpoint-v1-session-state3", "session" },
    };

    [Theory]
    [MemberData(nameof(Windows))]
    public async Task Checkpoint_GoldenInput_WritesTheCheckedInBytes(string window)
    {
        var (bytes, _) = await WriteCheckpointAsync(window);
        var name = Written(window) + ".bin";
        if (UpdateGolden)
        {
            File.WriteAllBytes(Path.Combine(GoldenSource(), name), bytes);
            return;
        }

        // Same state, same bytes: the layout is fixed by the format version, not by the build or the run.
        Assert.Equal(File.ReadAllBytes(Golden(name)), bytes);
    }

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public async Task Restore_CheckedInCheckpoint_ContinuesWithTheCheckedInResults(string checkpoint, string window)
    {
        var restored = await RestoreAndRunAsync(window, File.ReadAllBytes(Golden(checkpoint + ".bin")));
        var lines = restored.Select(static r => r.ToString()).ToList();
        var name = checkpoint + ".expected.txt";
        if (UpdateGolden && checkpoint == Written(window))
        {
            File.WriteAllLines(Path.Combine(GoldenSource(), name), lines);
            return;
        }

        Assert.Equal(File.ReadAllLines(Golden(name)), lines);

        // And those are exactly the model's results less what the first run had flushed before its checkpoint.
        var (_, flushedBefore) = await WriteCheckpointAsync(window);
        var model = ReferenceModel.Run(Input(window)).Rows(Agg.Combine);
        WindowHarness.AssertSameMultiset(model, flushedBefore.Concat(restored), "results before and after the restore", Input(window));
    }

    [Fact]
    public async Task Restore_ChangedWindowDefinition_RefusedNamingTheChangeAndTheWayForward()
    {
        var golden = File.ReadAllBytes(Golden("checkpoint-v1-hopping.bin"));

        var error = await Assert.ThrowsAsync<IncompatibleStateException>(() => RestoreAndRunAsync("hopping", golden, hop: 2_000, lateness: 3_000));

        Assert.Contains("The state stored under 'golden' cannot be restored", error.Message, StringComparison.Ordinal);
        Assert.Contains("window: hopping 10000 ms every 5000 ms in the snapshot, hopping 10000 ms every 2000 ms in this pipeline", error.Message, StringComparison.Ordinal);
        Assert.Contains("window late events: update, allowed lateness 2000 ms in the snapshot, update, allowed lateness 3000 ms in this pipeline", error.Message, StringComparison.Ordinal);
        Assert.Contains("new state key", error.Message, StringComparison.Ordinal);
        Assert.Contains("replay the input from the source", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_OtherWindowKind_Refused()
    {
        var golden = File.ReadAllBytes(Golden("checkpoint-v1-session.bin"));

        var error = await Assert.ThrowsAsync<IncompatibleStateException>(() => RestoreAndRunAsync("hopping", golden));

        Assert.Contains("window: session, gap 3000 ms in the snapshot, hopping 10000 ms every 5000 ms in this pipeline", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_NewerFormatVersion_RefusedBeforeReadingState()
    {
        var newer = File.ReadAllBytes(Golden("checkpoint-v1-hopping.bin"));
        BinaryPrimitives.WriteInt32LittleEndian(newer.AsSpan(4), 2);

        var error = await Assert.ThrowsAsync<IncompatibleStateException>(() => RestoreAndRunAsync("hopping", newer));

        Assert.Contains("snapshot format 2, written by a newer StreamKit; this build reads formats 1 to 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_SnapshotWithoutHeader_Refused()
    {
        // What checkpoints began with before they were versioned: the marker "SKC1", then positions.
        var unversioned = new byte[16];
        BinaryPrimitives.WriteInt32LittleEndian(unversioned, 0x534B4331);
        var error = await Assert.ThrowsAsync<IncompatibleStateException>(() => RestoreAndRunAsync("hopping", unversioned));
        Assert.Contains("before snapshots carried a format version", error.Message, StringComparison.Ordinal);

        error = await Assert.ThrowsAsync<IncompatibleStateException>(() => RestoreAndRunAsync("hopping", [1, 2]));
        Assert.Contains("does not start with a StreamKit snapshot header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Header_IsSkstThenVersionThenKind()
    {
        var golden = File.ReadAllBytes(Golden("checkpoint-v1-hopping.bin"));

        Assert.Equal("SKST"u8.ToArray(), golden[..4]);
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(golden.AsSpan(4)));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(golden.AsSpan(8)));
    }

    /// <summary>Runs the golden input through a runner that checkpoints after every batch and dies after <see cref="BatchesBeforeCheckpoint"/> batches.</summary>
    /// <returns>The stored checkpoint and the results flushed before it.</returns>
    private static async Task<(byte[] Snapshot, List<Row> Flushed)> WriteCheckpointAsync(string window)
    {
        var store = new InMemoryStateStore();
        var sink = new CollectingSink<WindowResult<int, (long, long)>>();
        var reads = 0;
        var source = new ScriptedSource(Input(window), [], ScriptedSource.Redelivery.FromCommitted, ignoreSeek: false, () =>
        {
            if (++reads > BatchesBeforeCheckpoint)
            {
                throw new SimulatedCrashException("stop");
            }
        });
        var runner = Runner(window, source, store, sink);
        await Assert.ThrowsAsync<SimulatedCrashException>(() => runner.RunAsync());
        var stored = await store.LoadAsync(Key);
        return (stored!.Value.Data.ToArray(), Rows(sink.Flushed));
    }

    private static async Task<List<Row>> RestoreAndRunAsync(string window, byte[] snapshot, long hop = 5_000, long lateness = 2_000)
    {
        var store = new InMemoryStateStore();
        await store.SaveAsync(Key, snapshot, null);
        var sink = new CollectingSink<WindowResult<int, (long, long)>>();
        var source = new ScriptedSource(Input(window), [], ScriptedSource.Redelivery.FromStart, ignoreSeek: false);
        await Runner(window, source, store, sink, hop, lateness).RunAsync();
        return Rows(sink.Flushed);
    }

    private static PipelineRunner<Ev> Runner(string window, ScriptedSource source, IStateStore store, CollectingSink<WindowResult<int, (long, long)>> sink, long hop = 5_000, long lateness = 2_000)
    {
        var clock = new ManualClock();
        var scenario = Input(window);
        var windowed = StreamPipeline.Create<Ev>(static e => e.Ts, scenario.CreateOptions(clock))
            .KeyBy(static e => e.Key)
            .Window(window == "session" ? scenario.Spec : WindowSpec.Hopping(TimeSpan.FromMilliseconds(scenario.Size), TimeSpan.FromMilliseconds(hop)))
            .AllowedLateness(TimeSpan.FromMilliseconds(lateness));
        var pipeline = windowed.Aggregate(static a => a.Combine(a.Count(), a.Sum(static e => (long)e.Value))).To(sink);
        return new PipelineRunner<Ev>(pipeline, source, new EvDecoder(), new InMemoryDeadLetterSink(), new PipelineRunnerOptions
        {
            StateStore = store,
            StateKey = Key,
            CheckpointEveryBatches = 1,
            CheckpointInterval = TimeSpan.MaxValue,
            TimeProvider = clock,
        });
    }

    /// <summary>Fixed input: two partitions, five keys, event time 100 ms apart with jitter and every 17th event 4 s behind (late).</summary>
    private static Scenario Input(string window)
    {
        var events = new List<Ev>[2] { [], [] };
        for (var i = 0; i < 400; i++)
        {
            var ts = 1_700_000_000_000 + (i * 100L) + ((i * 37 % 11) * 60) - (i % 17 == 0 ? 4_000 : 0);
            events[i % 2].Add(new Ev(ts, i * 7 % 5, (i * 13 % 101) - 50, i % 9));
        }

        // Batches of 1 to 7 events, the partitions taking turns, as a broker's fetches would come.
        var batches = new List<Batch>();
        var next = new int[2];
        for (var i = 0; next[0] < events[0].Count || next[1] < events[1].Count; i++)
        {
            var partition = i % 2;
            var take = Math.Min(1 + (i % 7), events[partition].Count - next[partition]);
            batches.Add(new Batch(partition, [.. events[partition].GetRange(next[partition], take)], 0));
            next[partition] += take;
        }

        return new Scenario
        {
            Kind = window == "session" ? WindowKind.Session : WindowKind.Hopping,
            Size = 10_000,
            Hop = 5_000,
            Gap = 3_000,
            Policy = LateEventPolicy.Update,
            LatenessMs = 2_000,
            OutOfOrderMs = 1_000,
            Batches = batches,
        };
    }

    private static List<Row> Rows(IEnumerable<WindowResult<int, (long, long)>> results) =>
        [.. results.Select(static r => new Row(r.Start, r.End, r.Key, ReferenceModel.FormatPair(r.Value.Item1, r.Value.Item2), r.IsUpdate))];

    /// <summary>The checked-in checkpoint this build writes for <paramref name="window"/>.</summary>
    private static string Written(string window) => window == "session" ? "checkpoint-v1-session-state3" : "checkpoint-v1-hopping";

    private static bool UpdateGolden => Environment.GetEnvironmentVariable("STREAMKIT_UPDATE_GOLDEN") == "1";

    private static string GoldenSource([CallerFilePath] string thisFile = "") => Path.Combine(Path.GetDirectoryName(thisFile)!, "..", "Golden");

    private static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);
}
