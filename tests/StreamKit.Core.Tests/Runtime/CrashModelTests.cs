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
            var pipeline = Build(scenario, clock, injector, results, late);
            var source = new ScriptedSource(scenario, committed, plan.Redelivery, plan.IgnoreSeek, () => injector.Tick("read"));
            var runner = new PipelineRunner<Ev>(pipeline, source, new EvDecoder(), new InMemoryDeadLetterSink(), new PipelineRunnerOptions
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

    [Theory]
    [MemberData(nameof(Matrix))]
    public void Invocations_CrashesAtRandomPoints_FlushedResultsEqualReferenceModel(WindowKind kind, LateEventPolicy policy)
    {
        // One partition: an invocation runner keeps one pipeline per partition, the model one watermark per partition.
        var cases =
            from allowLate in Gen.Bool
            from scenario in Scenario.Any(120, kind, policy, allowLate, allowIdle: false, maxPartitions: 1)
            from plan in InvocationCrashPlan.Gen(scenario)
            select (scenario, plan);
        var crashes = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        cases.Sample((scenario, plan) => InvokeWithCrashes(scenario, plan, crashes), iter: Cases);

        Assert.True(crashes.Values.Sum() >= Cases / 2, $"only {crashes.Values.Sum()} crashes in {Cases} cases");
        Assert.Superset(
            new HashSet<string> { "after sink flush", "after state save, before source commit", "before sink flush", "before state save" },
            crashes.Keys.ToHashSet());
    }

    /// <summary>
    /// Delivers the scenario's batches as invocations with Kinesis-sized sequence numbers (wider than 128 bits) through
    /// the plan's crashes: a failed invocation is delivered again (after its predecessor, too, when the plan says so),
    /// to the same warm runner or to a new process; then the partition is completed.
    /// </summary>
    private static void InvokeWithCrashes(Scenario scenario, InvocationCrashPlan plan, System.Collections.Concurrent.ConcurrentDictionary<string, int> crashes)
    {
        var results = new CollectingSink<WindowResult<int, (long, long)>>();
        var late = new CollectingSink<Ev>();
        using var dir = new TempDirectory();
        IStateStore store = plan.FileStore ? new FileStateStore(dir.Path) : new InMemoryStateStore();
        var clock = new ManualClock();
        var attempt = 0;
        var injector = new CrashInjector(-1);
        InvocationRunner<Ev>? runner = null;
        using var batch = new InvocationBatch();
        for (var next = 0; next <= scenario.Batches.Count;)
        {
            if (runner is null)
            {
                injector = new CrashInjector(attempt < plan.CrashAt.Length ? plan.CrashAt[attempt] : -1);
                var crashing = injector;
                runner = new InvocationRunner<Ev>(
                    () => new PipelineInstance<Ev>(Build(scenario, clock, crashing, results, late), new EvDecoder()),
                    new InMemoryDeadLetterSink(),
                    new InvocationRunnerOptions { StateStore = new CrashingStore(store, injector), StateKeyPrefix = "model/", TimeProvider = clock });
            }

            try
            {
                if (next == scenario.Batches.Count)
                {
                    runner.CompleteAsync("p0").AsTask().GetAwaiter().GetResult();
                }
                else
                {
                    Fill(batch, scenario, next);
                    var result = runner.RunAsync(batch, DateTimeOffset.MaxValue).AsTask().GetAwaiter().GetResult();
                    Assert.Equal(batch.Count, result.Taken);
                }

                next++;
            }
            catch (SimulatedCrashException e)
            {
                crashes.AddOrUpdate(e.Message, 1, static (_, n) => n + 1);
                attempt++;
                if (!plan.StayWarm[attempt % plan.StayWarm.Length])
                {
                    // The process dies: what the sinks had not flushed is gone; the store stays.
                    results.DropUnflushed();
                    late.DropUnflushed();
                    runner = null;
                }
                else
                {
                    // The instance lives on; the next injection point after this one is the next planned crash.
                    injector.Reset(attempt < plan.CrashAt.Length ? plan.CrashAt[attempt] : -1);
                }

                // The platform retries the failed batch, and may deliver the one before it again.
                next = plan.RedeliverPrevious ? Math.Max(0, next - 1) : next;
            }
        }

        var model = ReferenceModel.Run(scenario);
        var actual = results.Flushed.Select(static r => new Row(r.Start, r.End, r.Key, ReferenceModel.FormatPair(r.Value.Item1, r.Value.Item2), r.IsUpdate)).ToList();
        var context = $"{plan}{Environment.NewLine}";
        WindowHarness.AssertSameMultiset(model.Rows(Agg.Combine), actual.Distinct(), context + "flushed window results (distinct)", scenario);
        WindowHarness.AssertSameMultiset(model.SideOutput.Distinct(), late.Flushed.Distinct(), context + "flushed late events (distinct)", scenario);
    }

    private static Pipeline<Ev> Build(Scenario scenario, ManualClock clock, CrashInjector injector, CollectingSink<WindowResult<int, (long, long)>> results, CollectingSink<Ev> late)
    {
        var windowed = StreamPipeline.Create<Ev>(static e => e.Ts, scenario.CreateOptions(clock))
            .KeyBy(static e => e.Key)
            .Window(scenario.Spec);
        windowed = scenario.Policy switch
        {
            LateEventPolicy.SideOutput => windowed.LateTo(new CrashingSink<Ev>(late, injector)),
            LateEventPolicy.Update => windowed.AllowedLateness(TimeSpan.FromMilliseconds(scenario.LatenessMs)),
            _ => windowed.DropLate(),
        };
        return windowed
            .Aggregate(static a => a.Combine(a.Count(), a.Sum(static e => (long)e.Value)))
            .To(new CrashingSink<WindowResult<int, (long, long)>>(results, injector));
    }

    /// <summary>Batch <paramref name="index"/> of the scenario with sequence numbers of 56 digits, counting across batches.</summary>
    private static void Fill(InvocationBatch batch, Scenario scenario, int index)
    {
        batch.Clear();
        var partition = batch.Partition("p0");
        var first = 0;
        for (var i = 0; i < index; i++)
        {
            first += scenario.Batches[i].Events.Length;
        }

        var events = scenario.Batches[index].Events;
        for (var i = 0; i < events.Length; i++)
        {
            var sequence = System.Text.Encoding.ASCII.GetBytes("4959033827149025660855969253836" + (first + i).ToString("D25", System.Globalization.CultureInfo.InvariantCulture));
            batch.Add(partition, sequence, EvDecoder.Encode(events[i]), default, 0);
        }
    }

    /// <summary>Where each invocation process dies, whether a failed instance stays warm, and how the platform redelivers.</summary>
    internal sealed record InvocationCrashPlan(int[] CrashAt, bool[] StayWarm, bool RedeliverPrevious, bool FileStore)
    {
        public static Gen<InvocationCrashPlan> Gen(Scenario scenario)
        {
            var points = Math.Max(8, scenario.Batches.Count * 5);
            return CsCheck.Gen.Select(
                CsCheck.Gen.Int[0, points].Array[1, 4],
                CsCheck.Gen.Bool.Array[1, 4],
                CsCheck.Gen.Bool,
                CsCheck.Gen.Int[0, 4],
                (crashAt, warm, previous, store) => new InvocationCrashPlan(crashAt, warm, previous, store == 0));
        }

        public override string ToString() =>
            $"crash at [{string.Join(",", CrashAt)}], stay warm [{string.Join(",", StayWarm)}], redeliver previous {RedeliverPrevious}, file store {FileStore}";
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
        private int _crashAt = crashAt;
        private int _reached;

        public void Tick(string point)
        {
            if (_reached++ == _crashAt)
            {
                throw new SimulatedCrashException(point);
            }
        }

        /// <summary>Counts again from zero towards a new crash point (a process that survived a failure).</summary>
        public void Reset(int crashAt)
        {
            _crashAt = crashAt;
            _reached = 0;
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
