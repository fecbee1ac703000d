using CsCheck;
using StreamKit.Core.Tests.Windows;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Pipeline;

/// <summary>Without late events, how the input is cut into batches does not change the results.</summary>
public sealed class BatchSizeTests
{
    public static TheoryData<WindowKind, Agg> Cases()
    {
        var data = new TheoryData<WindowKind, Agg>();
        foreach (var kind in Enum.GetValues<WindowKind>())
        {
            data.Add(kind, Agg.Combine);
            data.Add(kind, Agg.TopK);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Process_BatchSizes1And7And1024WithoutLateEvents_GiveIdenticalResults(WindowKind kind, Agg agg)
    {
        Gen.Enum<LateEventPolicy>().SelectMany(policy => Scenario.Any(400, kind, policy, allowLate: false, allowIdle: false, maxPartitions: 1)).Sample(source =>
        {
            var events = source.Batches.SelectMany(static b => b.Events).ToArray();
            List<Row>? first = null;
            foreach (var batchSize in new[] { 1, 7, 1024 })
            {
                var scenario = Rebatch(source, events, batchSize);
                var model = ReferenceModel.Run(scenario);
                Assert.Equal(0, model.Late);
                var harness = WindowHarness.Build(scenario, agg);
                harness.Feed(scenario);
                harness.Pipeline.Complete();
                harness.AssertMatches(model, agg, scenario);
                Assert.DoesNotContain(harness.Rows(), static row => row.IsUpdate);

                var rows = Row.Sorted(harness.Rows());
                first ??= rows;
                Assert.Equal(first, rows);
            }
        }, iter: 60);
    }

    private static Scenario Rebatch(Scenario source, Ev[] events, int batchSize) => new()
    {
        Kind = source.Kind,
        Size = source.Size,
        Hop = source.Hop,
        Gap = source.Gap,
        Policy = source.Policy,
        LatenessMs = source.LatenessMs,
        OutOfOrderMs = source.OutOfOrderMs,
        Batches = [.. events.Chunk(batchSize).Select(static chunk => new Batch(0, chunk, 0))],
    };
}
