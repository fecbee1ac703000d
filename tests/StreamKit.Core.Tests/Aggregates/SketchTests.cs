using CsCheck;
using StreamKit.Aggregates;
using StreamKit.Pipeline;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Aggregates;

public sealed class SketchTests
{
    private readonly record struct Item(long Ts, int Key, long Value);

    [Fact]
    public void ApproxDistinct_LargeHoppingWindows_WithinStatedErrorOfExactDistinct()
    {
        // Windows of 10 s hopping every 2 s, so every result merges five slice sketches; cardinalities span the
        // linear-counting range, the switch-over near 2.5 × 4096 and the raw HyperLogLog range.
        var r = new Random(20240601);
        var cardinalities = new[] { 50, 700, 4000, 9000, 12000, 20000, 45000, 90000 };
        var events = new List<Item>();
        for (var key = 0; key < cardinalities.Length; key++)
        {
            for (var slice = 0; slice < 5; slice++)
            {
                var sliceStart = slice * 2000L;
                for (var i = 0; i < cardinalities[key] / 5; i++)
                {
                    var value = r.NextInt64();
                    events.Add(new Item(sliceStart + r.Next(2000), key, value));
                    if (r.Next(4) == 0)
                    {
                        events.Add(new Item(sliceStart + r.Next(2000), key, value)); // a repeat
                    }
                }
            }
        }

        var sink = new CollectingSink<WindowResult<int, long>>();
        var pipeline = StreamPipeline.Create<Item>(static e => e.Ts, new PipelineOptions { IdleTimeout = Timeout.InfiniteTimeSpan })
            .KeyBy(static e => e.Key)
            .Window(WindowSpec.Hopping(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2)))
            .Aggregate(static a => a.ApproxDistinct(static e => e.Value))
            .To(sink);
        foreach (var chunk in events.OrderBy(static e => e.Ts).Chunk(1000))
        {
            pipeline.Process(chunk);
        }

        pipeline.Complete();
        var exact = events.GroupBy(static e => e.Key).ToDictionary(static g => g.Key, static g => g.ToList());
        const double standardError = 1.04 / 64; // 1.04 / √4096
        var checkedFull = 0;
        foreach (var result in sink.Records)
        {
            var truth = exact[result.Key].Where(e => e.Ts >= result.Start && e.Ts < result.End).Select(static e => e.Value).Distinct().Count();
            var tolerance = (4 * standardError * truth) + 2; // four standard errors
            Assert.True(Math.Abs(result.Value - truth) <= tolerance, $"key {result.Key} [{result.Start},{result.End}): estimate {result.Value}, exact {truth}");
            checkedFull += result.Start == 0 ? 1 : 0;
        }

        Assert.Equal(cardinalities.Length, checkedFull);
    }

    [Fact]
    public void HyperLogLog_Cardinalities_MeanRelativeErrorNearStandardError()
    {
        // Across many independent sketches the typical error should be about the stated 1.6 %, with no bias.
        var r = new Random(5);
        foreach (var n in new[] { 1000, 8000, 11000, 15000, 30000, 200000 })
        {
            double sumError = 0, sumSquared = 0;
            const int Trials = 20;
            for (var t = 0; t < Trials; t++)
            {
                var sketch = default(HyperLogLogSketch);
                for (var i = 0; i < n; i++)
                {
                    sketch.Add(r.NextInt64());
                }

                var relative = (sketch.Estimate() - (double)n) / n;
                sumError += relative;
                sumSquared += relative * relative;
            }

            var bias = sumError / Trials;
            var rms = Math.Sqrt(sumSquared / Trials);
            Assert.True(Math.Abs(bias) < 0.012, $"n={n}: bias {bias:P2}");
            Assert.True(rms < 0.03, $"n={n}: rms error {rms:P2}");
        }
    }

    [Fact]
    public void TopK_FewerDistinctThanCapacity_ExactCountsSortedByCount()
    {
        // Built from partial sketches merged in a random tree, as slices and sessions do: each merge joins the
        // neighbours at a drawn position.
        var cases =
            from distinct in Gen.Int[1, TopKSketch.Capacity]
            from items in Gen.Int[0, distinct - 1].Select(static i => i * 1000003L).Array[1, 400]
            from chunkSize in Gen.Int[1, 19]
            from merges in Gen.Int[0, int.MaxValue].Array[(items.Length + chunkSize - 1) / chunkSize]
            select (items, chunkSize, merges);
        cases.Sample((items, chunkSize, merges) =>
        {
            var parts = items.Chunk(chunkSize).Select(static chunk =>
            {
                var s = default(TopKSketch);
                foreach (var item in chunk)
                {
                    s.Add(item);
                }

                return s;
            }).ToList();
            for (var m = 0; parts.Count > 1; m++)
            {
                var i = merges[m] % (parts.Count - 1);
                var merged = parts[i];
                merged.Merge(parts[i + 1]);
                parts[i] = merged;
                parts.RemoveAt(i + 1);
            }

            var sorted = parts[0].Sorted();
            var expected = items.GroupBy(static x => x).Select(static g => (Item: g.Key, Count: (long)g.Count()))
                .OrderByDescending(static x => x.Count).ThenBy(static x => x.Item).ToList();
            Assert.Equal(expected.Count, sorted.Count);
            for (var i = 0; i < expected.Count; i++)
            {
                Assert.Equal(expected[i].Item, sorted.GetItem(i));
                Assert.Equal(expected[i].Count, sorted.GetCount(i));
                Assert.Equal(0, sorted.GetError(i));
            }
        }, iter: 200);
    }

    [Fact]
    public void TopK_MoreDistinctThanCapacity_CountsBoundTrueCounts()
    {
        var cases =
            from distinct in Gen.Int[TopKSketch.Capacity + 1, 199]
            from items in Gen.Select(Gen.Int[0, distinct - 1], Gen.Int[0, distinct - 1], static (a, b) => (long)Math.Min(a, b)).Array[1, 2000] // skewed
            from chunkSize in Gen.Int[1, 299]
            select (items, chunkSize);
        cases.Sample((items, chunkSize) =>
        {
            var parts = items.Chunk(chunkSize).Select(static chunk =>
            {
                var s = default(TopKSketch);
                foreach (var item in chunk)
                {
                    s.Add(item);
                }

                return s;
            }).ToList();
            var sketch = parts[0];
            foreach (var part in parts.Skip(1))
            {
                sketch.Merge(part);
            }

            var truth = items.GroupBy(static x => x).ToDictionary(static g => g.Key, static g => (long)g.Count());
            for (var i = 0; i < sketch.Count; i++)
            {
                var actual = truth.GetValueOrDefault(sketch.GetItem(i));
                Assert.True(sketch.GetCount(i) >= actual, $"item {sketch.GetItem(i)}: count {sketch.GetCount(i)} below true {actual}");
                Assert.True(sketch.GetCount(i) - sketch.GetError(i) <= actual, $"item {sketch.GetItem(i)}: count {sketch.GetCount(i)} − error {sketch.GetError(i)} above true {actual}");
            }
        }, iter: 200);
    }
}
