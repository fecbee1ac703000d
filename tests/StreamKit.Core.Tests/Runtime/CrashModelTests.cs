using CsCheck;
using StreamKit.Core.Tests.Files;
using StreamKit.Core.Tests.Support;
using StreamKit.Core.Tests.Windows;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;
using Xunit.Sdk;
using Row = StreamKit.Core.Tests.Windows.Row;

namespace StreamKit.Core.Tests.Runtime;

/// <summary>
/// The real <see cref="PipelineRunner{T}"/> against the reference model, with crashes: random batches with disorder
/// (within the bound, or also late), checkpoints every few batches, and a process that dies at random points — on a
/// read, in the middle of a batch (a sink write while windows fire), before or after a sink flush, before or after
/// the state save (so after the save and before the source commit) — and restarts from the stored state with a new
/// pipeline, a new runner and a source that re-delivers from its last commit or from the very start. Sinks keep only
/// what they flushed. Whatever the crashes, the flushed results hold every result the model gives, with the model's
/// values (aggregates applied exactly once), and nothing else; only whole results may repeat (at-least-once output).
/// </summary>
public sealed class CrashModelTests
{
    private const int Cases = 100;

    public static TheoryData<WindowKind, LateEventPolicy> Matrix()
    {
        var data = new TheoryData<WindowKind, LateEventPolicy>();
        foreach (var kind in new[] { WindowKind.Tumbling, WindowKind.Hopping, WindowKind.Session })
        {
            foreach (var policy in Enum.GetValues<LateEventPolicy>())
            {
                data.Add(kind, policy);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Run_CrashesAtRandomPoints_FlushedResultsEqualReferenceModel(WindowKind kind, LateEventPolicy policy)
    {
        var cases =
            from allowLate in Gen.Bool
            from scenario in Scenario.Any(120, kind, policy, allowLate, allowIdle: false)
            from plan in CrashPlan.Gen(scenario)
            select (scenario, plan);
        var crashes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        cases.Sample((scenario, plan) => RunWithCrashes(scenario, plan, crashes), iter: Cases);

        // Guards the generator: the property means little unless processes die often, at every point of a checkpoint.
        // (Crashes in a sink write, while windows fire mid-batch, are injected too, but how often depends on the window.)
        Assert.True(crashes.Values.Sum() >= Cases / 2, $"only {crashes.Values.Sum()} crashes in {Cases} cases");
        Assert.Superset(
            new HashSet<string> { "after sink flush", "after state save, before source commit", "before sink flush", "before state save", "read" },
            crashes.Keys.ToHashSet());
    }

    /// <summary>Runs to completion through the plan's crashes, counting them by point, then checks the flushed output.</summary>
    private static void RunWithCrashes(Scenario scenario, CrashPlan plan, System.Collections.Concurrent.ConcurrentDictionary<string, int> crashes)
    {
        var results = new CollectingSink<WindowResult<int, (long, long)>>();
        var late = new CollectingSink<Ev>();
        var committed = new Dictionary<string, long>();
        using var dir = new TempDirectory();
        IStateStore store = plan.FileStore ? new FileStateStore(dir.Path) : new InMemoryStateStore();
        var clock = new ManualClock();
        for (var attempt = 0; ; attempt++)
        {
            var injector = new CrashInjector(attempt < plan.CrashAt.Length ? plan.CrashAt[attempt] : -1);
            var windowed = StreamPipeline.Create<Ev>(static e => e.Ts, scenario.CreateOptions(clock))
                .KeyBy(static e => e.Key)
                .Window(scenario.Spec);
            windowed = scenario.Policy switch
            {
                LateEventPolicy.SideOutput => windowed.LateTo(new CrashingSink<Ev>(late, injector)),
                LateEventPolicy.Update => windowed.AllowedLateness(TimeSpan.FromMilliseconds(scenario.LatenessMs)),
                _ => windowed.DropLate(),
            };
            var pipeline = windowed
                .Aggregate(static a => a.Combine(a.Count(), a.Sum(static e => (long)e.Value)))
                .To(new CrashingSink<WindowResult<int, (long, long)>>(results, injector));
            var source = new ScriptedSource(scenario, committed, plan.Redelivery, plan.IgnoreSeek, () => injector.Tick("read"));
            var runner = new PipelineRunner<Ev>(pipeline, source, new EvDecoder(), new InMemoryDeadLetterSink(), new RunnerOptions
            {
                StateStore = new CrashingStore(store, injector),
                StateKey = "model",
                CheckpointEveryBatches = plan.CheckpointEveryBatches,
                CheckpointInterval = TimeSpan.MaxValue,
                TimeProvider = clock,
                BatchSize = 64,
            });
            try
            {
                runner.RunAsync().GetAwaiter().GetResult();
                break;
            }
            catch (SimulatedCrashException e)
            {
                // The process dies: what the sinks had not flushed is gone; the store and the source's commits stay.
                results.DropUnflushed();
                late.DropUnflushed();
                crashes.AddOrUpdate(e.Message, 1, static (_, n) => n + 1);
            }
        }

        var model = ReferenceModel.Run(scenario);
        var expected = model.Rows(Agg.Combine);
        var actual = results.Flushed.Select(static r => new Row(r.Start, r.End, r.Key, ReferenceModel.FormatPair(r.Value.Item1, r.Value.Item2), r.IsUpdate)).ToList();
        var context = $"{plan}{Environment.NewLine}";
        if (expected.Distinct().Count() != expected.Count)
        {
            throw new XunitException("The model repeats a result: repeated rows could not be told from replayed ones." + Environment.NewLine + WindowHarness.Describe(scenario));
        }

        // Replays repeat whole results; any other difference is a lost result or a wrong value.
        WindowHarness.AssertSameMultiset(expected, actual.Distinct(), context + "flushed window results (distinct)", scenario);
        WindowHarness.AssertSameMultiset(model.SideOutput.Distinct(), late.Flushed.Distinct(), context + "flushed late events (distinct)", scenario);
        foreach (var e in model.SideOutput)
        {
            Assert.True(late.Flushed.Count(x => x == e) >= model.SideOutput.Count(x => x == e), $"late event {e} lost");
        }
    }

    /// <summary>Where each run dies (the index of the injection point reached, or -1 for no crash) and how the world behaves around it.</summary>
    internal sealed record CrashPlan(int[] CrashAt, int CheckpointEveryBatches, ScriptedSource.Redelivery Redelivery, bool IgnoreSeek, bool FileStore)
    {
        public static Gen<CrashPlan> Gen(Scenario scenario)
        {
            // Injection points per run: a read per batch, sink writes as windows fire, and six or more per checkpoint.
            var points = Math.Max(8, scenario.Batches.Count * 5);
            return CsCheck.Gen.Select(
                CsCheck.Gen.Int[0, points].Array[1, 4],
                CsCheck.Gen.Int[1, 6],
                CsCheck.Gen.Enum<ScriptedSource.Redelivery>(),
                CsCheck.Gen.Bool,
                CsCheck.Gen.Int[0, 4],
                (crashAt, every, redelivery, ignoreSeek, store) => new CrashPlan(crashAt, every, redelivery, ignoreSeek, store == 0));
        }

        public override string ToString() =>
            $"crash at [{string.Join(",", CrashAt)}], checkpoint every {CheckpointEveryBatches}, redelivery {Redelivery}, ignore seek {IgnoreSeek}, file store {FileStore}";
    }

    /// <summary>Counts the injection points one run passes and throws at the chosen one.</summary>
    private sealed class CrashInjector(int crashAt)
    {
        private int _reached;

        public void Tick(string point)
        {
            if (_reached++ == crashAt)
            {
                throw new SimulatedCrashException(point);
            }
        }
    }

    /// <summary>A sink that may die while written to (windows firing mid-batch) or just before or after it flushes.</summary>
    private sealed class CrashingSink<T>(CollectingSink<T> inner, CrashInjector injector) : IRecordSink<T>
    {
        public void Write(ReadOnlySpan<T> records)
        {
            injector.Tick("sink write");
            inner.Write(records);
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
        {
            injector.Tick("before sink flush");
            await inner.FlushAsync(cancellationToken);
            injector.Tick("after sink flush");
        }
    }

    /// <summary>A store that may die before a save, or after it (before the runner commits the source).</summary>
    private sealed class CrashingStore(IStateStore inner, CrashInjector injector) : IStateStore
    {
        public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) => inner.LoadAsync(key, cancellationToken);

        public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
        {
            injector.Tick("before state save");
            var version = await inner.SaveAsync(key, data, expectedVersion, cancellationToken);
            injector.Tick("after state save, before source commit");
            return version;
        }
    }
}
