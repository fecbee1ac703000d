using System.Buffers;
using CsCheck;
using StreamKit.Core.Tests.Windows;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Pipeline;

/// <summary>A pipeline checkpointed mid-stream and restored into a fresh one continues exactly as if never stopped.</summary>
public sealed class CheckpointTests
{
    public static TheoryData<WindowKind, LateEventPolicy> Cases()
    {
        var data = new TheoryData<WindowKind, LateEventPolicy>();
        foreach (var kind in Enum.GetValues<WindowKind>())
        {
            foreach (var policy in Enum.GetValues<LateEventPolicy>())
            {
                data.Add(kind, policy);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReadState_SnapshotsTakenMidStream_OutputIdenticalToUninterruptedRun(WindowKind kind, LateEventPolicy policy)
    {
        var cases =
            from scenario in Scenario.Any(150, kind, policy, allowIdle: false)
            from agg in Gen.Enum<Agg>()
            from cut1 in Gen.Int[0, scenario.Batches.Count]
            from cut2 in Gen.Int[cut1, scenario.Batches.Count]
            select (scenario, agg, cut1, cut2);
        cases.Sample((scenario, agg, cut1, cut2) =>
        {
            var uninterrupted = WindowHarness.Build(scenario, agg);
            uninterrupted.Feed(scenario);
            uninterrupted.Pipeline.Complete();

            // Two restores in a row, so a restored pipeline's own snapshot is also checked.
            var first = WindowHarness.Build(scenario, agg);
            first.Feed(scenario, 0, cut1);
            var second = Restore(first, scenario, agg);
            second.Feed(scenario, cut1, cut2);
            var third = Restore(second, scenario, agg);
            third.Feed(scenario, cut2);
            third.Pipeline.Complete();

            var parts = new[] { first, second, third };
            Assert.Equal(uninterrupted.Rows(), parts.SelectMany(static h => h.Rows()).ToList());
            Assert.Equal(uninterrupted.Late.Records, parts.SelectMany(static h => h.Late.Records).ToList());
            Assert.Equal(uninterrupted.Pipeline.Counters.Late, parts.Sum(static h => h.Pipeline.Counters.Late));
            Assert.Equal(uninterrupted.Pipeline.Counters.Dropped, parts.Sum(static h => h.Pipeline.Counters.Dropped));
            Assert.Equal(uninterrupted.Pipeline.Watermark, third.Pipeline.Watermark);
        }, iter: 80);
    }

    [Fact]
    public void ReadState_SnapshotOfDifferentWindows_Throws()
    {
        var r = new Random(7);
        var tumbling = Scenario.Generate(r, 50, WindowKind.Tumbling, LateEventPolicy.Drop);
        var source = WindowHarness.Build(tumbling, Agg.Count);
        source.Feed(tumbling);
        var bytes = Snapshot(source);

        var other = new Scenario { Kind = WindowKind.Tumbling, Size = tumbling.Size + 1, Hop = tumbling.Size + 1 };
        var target = WindowHarness.Build(other, Agg.Count);
        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new StateReader(bytes);
            target.Pipeline.ReadState(ref reader);
        });
    }

    private static byte[] Snapshot(WindowHarness harness)
    {
        var buffer = new ArrayBufferWriter<byte>();
        harness.Pipeline.WriteState(new StateWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }

    private static WindowHarness Restore(WindowHarness from, Scenario scenario, Agg agg)
    {
        var bytes = Snapshot(from);
        var restored = WindowHarness.Build(scenario, agg);
        var reader = new StateReader(bytes);
        restored.Pipeline.ReadState(ref reader);
        Assert.True(reader.IsEmpty, "the snapshot was not read to its end");
        return restored;
    }
}
