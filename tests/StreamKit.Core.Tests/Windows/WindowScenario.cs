using System.Globalization;
using CsCheck;
using StreamKit.Core.Tests.Support;
using StreamKit.Pipeline;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Windows;

/// <summary>The test record: event time, key, a numeric value and an item for distinct counts and top-K.</summary>
public readonly record struct Ev(long Ts, int Key, int Value, long Item);

/// <summary>One call to <c>Process</c>: a partition's records, after the wall clock moved on.</summary>
internal sealed record Batch(int Partition, Ev[] Events, long ClockAdvanceMs);

/// <summary>The aggregates the properties cover.</summary>
public enum Agg
{
    Count,
    Sum,
    Min,
    Max,
    Average,
    Combine,
    ApproxDistinct,
    TopK,
}

/// <summary>A random windowed query and the batches fed to it.</summary>
internal sealed class Scenario
{
    public WindowKind Kind { get; init; }

    public long Size { get; init; }

    public long Hop { get; init; }

    public long Gap { get; init; }

    public LateEventPolicy Policy { get; init; }

    public long LatenessMs { get; init; }

    public long OutOfOrderMs { get; init; }

    public long IdleTimeoutMs { get; init; } = -1; // -1: never idle

    public List<Batch> Batches { get; init; } = [];

    public WindowSpec Spec => Kind switch
    {
        WindowKind.Tumbling => WindowSpec.Tumbling(TimeSpan.FromMilliseconds(Size)),
        WindowKind.Hopping => WindowSpec.Hopping(TimeSpan.FromMilliseconds(Size), TimeSpan.FromMilliseconds(Hop)),
        WindowKind.Session => WindowSpec.Session(TimeSpan.FromMilliseconds(Gap)),
        _ => WindowSpec.Global,
    };

    /// <summary>Retention of fired windows as the operators see it: only the update policy keeps them.</summary>
    public long RetentionMs => Policy == LateEventPolicy.Update ? LatenessMs : 0;

    public PipelineOptions CreateOptions(TimeProvider clock) => new()
    {
        Name = "property",
        MaxOutOfOrderness = TimeSpan.FromMilliseconds(OutOfOrderMs),
        IdleTimeout = IdleTimeoutMs < 0 ? Timeout.InfiniteTimeSpan : TimeSpan.FromMilliseconds(IdleTimeoutMs),
        TimeProvider = clock,
    };

    public override string ToString()
    {
        var events = Batches.Sum(static b => b.Events.Length);
        var shape = Kind switch
        {
            WindowKind.Tumbling => $"size={Size}",
            WindowKind.Hopping => $"size={Size} hop={Hop}",
            WindowKind.Session => $"gap={Gap}",
            _ => "global",
        };
        return string.Create(CultureInfo.InvariantCulture, $"{Kind} {shape} policy={Policy} lateness={LatenessMs} ooo={OutOfOrderMs} idle={IdleTimeoutMs} batches={Batches.Count} events={events}");
    }

    /// <summary>Random scenarios for CsCheck: a size from 1 to <paramref name="maxSize"/> and a seed for <see cref="Generate"/>.</summary>
    /// <remarks>
    /// The scenario's many interdependent choices (clocks per partition, lateness, batch cuts) stay in <see cref="Generate"/>;
    /// CsCheck draws the size first, so it shrinks a failure toward smaller streams, and the seed it prints replays the case.
    /// </remarks>
    public static Gen<Scenario> Any(int maxSize, WindowKind kind, LateEventPolicy policy, bool allowLate = true, bool allowIdle = true, int maxPartitions = 3) =>
        Gen.Select(Gen.Int[1, maxSize], Gen.Int, (size, seed) => Generate(new Random(seed), size, kind, policy, allowLate, allowIdle, maxPartitions));

    /// <summary>
    /// Several keys and partitions, each partition's event time moving forward with jitter, a few events far
    /// behind (late), random batch boundaries and sizes (including 1 and empty batches), and optionally a wall
    /// clock that lets quiet partitions go idle.
    /// </summary>
    public static Scenario Generate(Random r, int size, WindowKind kind, LateEventPolicy policy, bool allowLate = true, bool allowIdle = true, int maxPartitions = 3)
    {
        long windowSize = 0, hop = 0, gap = 0;
        switch (kind)
        {
            case WindowKind.Tumbling:
                windowSize = hop = r.Next(5, 60);
                break;
            case WindowKind.Hopping:
                hop = r.Next(3, 25);
                windowSize = hop * r.Next(2, 6);
                break;
            case WindowKind.Session:
                gap = r.Next(5, 60);
                break;
            default:
                windowSize = 50;
                break;
        }

        var unit = Math.Max(windowSize, gap);
        var ooo = r.Next(3) == 0 ? 0 : r.Next(1, 40);
        var lateness = policy != LateEventPolicy.Update ? 0 : r.Next(4) switch
        {
            0 => 0,
            1 => r.Next(1, 20),
            _ => r.Next(20, 150),
        };
        var idle = allowIdle && r.Next(4) == 0 ? r.Next(20, 200) : -1;
        var partitions = r.Next(1, maxPartitions + 1);
        var weights = new int[partitions];
        for (var p = 0; p < partitions; p++)
        {
            weights[p] = r.Next(1, 10);
        }

        var keys = r.Next(1, 6);
        var baseTime = r.NextInt64(-100_000, 100_000);
        var clocks = new long[partitions];
        for (var p = 0; p < partitions; p++)
        {
            clocks[p] = baseTime + r.Next(0, 50);
        }

        var step = Math.Max(2, (int)(unit / 2));
        var total = r.Next(size, (2 * size) + 2);
        var batches = new List<Batch>();
        var produced = 0;
        while (produced < total)
        {
            var advance = idle > 0 ? r.Next(0, (idle / 3) + 1) : r.Next(0, 5);
            var partition = Pick(r, weights);
            if (r.Next(30) == 0)
            {
                batches.Add(new Batch(partition, [], advance));
                continue;
            }

            var length = r.Next(4) switch
            {
                0 => 1,
                1 => r.Next(1, 64),
                _ => r.Next(1, 16),
            };
            length = Math.Min(length, total - produced);
            var events = new Ev[length];
            for (var i = 0; i < length; i++)
            {
                clocks[partition] += r.Next(50) == 0 ? r.Next((int)unit, (int)(4 * unit) + 1) : r.Next(0, step);
                long behind;
                if (!allowLate)
                {
                    behind = r.Next(0, ooo + 1);
                }
                else if (r.Next(20) == 0)
                {
                    behind = r.Next(0, (int)(6 * unit));
                }
                else
                {
                    behind = r.Next(0, ooo + 10);
                }

                events[i] = new Ev(clocks[partition] - behind, r.Next(keys), r.Next(-50, 51), r.Next(20));
            }

            if (!allowLate)
            {
                // Never behind the largest time already shown on the partition by more than the out-of-orderness.
                var max = long.MinValue;
                foreach (var b in batches)
                {
                    if (b.Partition == partition)
                    {
                        foreach (var e in b.Events)
                        {
                            max = Math.Max(max, e.Ts);
                        }
                    }
                }

                for (var i = 0; i < length; i++)
                {
                    if (max != long.MinValue && events[i].Ts < max - ooo)
                    {
                        events[i] = events[i] with { Ts = max - ooo };
                    }

                    max = Math.Max(max, events[i].Ts);
                }
            }

            batches.Add(new Batch(partition, events, advance));
            produced += length;
        }

        return new Scenario
        {
            Kind = kind,
            Size = windowSize,
            Hop = hop,
            Gap = gap,
            Policy = policy,
            LatenessMs = lateness,
            OutOfOrderMs = ooo,
            IdleTimeoutMs = idle,
            Batches = batches,
        };
    }

    private static int Pick(Random r, int[] weights)
    {
        var roll = r.Next(weights.Sum());
        for (var p = 0; p < weights.Length; p++)
        {
            roll -= weights[p];
            if (roll < 0)
            {
                return p;
            }
        }

        return weights.Length - 1;
    }
}

/// <summary>One window result, with the aggregate rendered as text so every aggregate compares the same way.</summary>
internal readonly record struct Row(long Start, long End, int Key, string Value, bool IsUpdate)
{
    public static List<Row> Sorted(IEnumerable<Row> rows) =>
        [.. rows.OrderBy(static x => x.Start).ThenBy(static x => x.End).ThenBy(static x => x.Key).ThenBy(static x => x.IsUpdate).ThenBy(static x => x.Value, StringComparer.Ordinal)];

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"[{Start},{End}) key={Key} value={Value}{(IsUpdate ? " update" : string.Empty)}");
}

/// <summary>Struct functors over <see cref="Ev"/>, the counterparts of the lambdas the tests also use.</summary>
internal readonly struct EvTime : ISelector<EvTime, Ev, long>
{
    public long Invoke(in Ev item) => item.Ts;
}

internal readonly struct EvKey : ISelector<EvKey, Ev, int>
{
    public int Invoke(in Ev item) => item.Key;
}

internal readonly struct EvValue : ISelector<EvValue, Ev, int>
{
    public int Invoke(in Ev item) => item.Value;
}

internal readonly struct EvValueLong : ISelector<EvValueLong, Ev, long>
{
    public long Invoke(in Ev item) => item.Value;
}

internal readonly struct EvItem : ISelector<EvItem, Ev, long>
{
    public long Invoke(in Ev item) => item.Item;
}

internal readonly struct NotMultipleOfThree : IPredicate<Ev>
{
    public bool Invoke(in Ev item) => item.Value % 3 != 0;
}

internal readonly struct AddKeyToValue : ISelector<AddKeyToValue, Ev, Ev>
{
    public Ev Invoke(in Ev item) => item with { Value = item.Value + item.Key };
}
