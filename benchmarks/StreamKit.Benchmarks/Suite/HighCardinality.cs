using BenchmarkDotNet.Attributes;
using Clickstream;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Variants;
using StreamKit.Pipeline;
using StreamKit.Windows;

namespace StreamKit.Benchmarks.Suite;

/// <summary>
/// The queries at realistic key cardinality: 1,000,000 Zipf users and 10,000 Zipf pages (the default data set has
/// 50,000 and 2,000, which keeps every table in cache and hides what a large key space costs), and a sweep of key
/// counts. Each query runs the hand-written loop, StreamKit and <see cref="ChannelPeer"/> side by side.
/// </summary>
public static class HighCardinality
{
    /// <summary>Distinct users of the high-cardinality data set.</summary>
    public const int Users = 1_000_000;

    /// <summary>Distinct pages of the high-cardinality data set.</summary>
    public const int Pages = 10_000;

    /// <summary>Events of the high-cardinality data set under <c>--full</c>.</summary>
    public const int FullEvents = 10_000_000;

    /// <summary>Events of the high-cardinality data set under <c>--quick</c> (CI's time budget), and of every sweep point.</summary>
    public const int QuickEvents = 1_000_000;

    /// <summary>Set by the program for <c>--full</c>: the high-cardinality benchmarks then use <see cref="FullEvents"/>.</summary>
    public static bool Full { get; set; }

    /// <summary>Events per operation of the high-cardinality benchmarks in this run.</summary>
    public static IEnumerable<int> EventCounts => [Full ? FullEvents : QuickEvents];

    /// <summary>Key counts of the sweep: users and pages are both drawn from this many ids.</summary>
    public static IEnumerable<int> SweepKeys => [2_000, 50_000, 1_000_000];

    /// <summary>Q1 with the peers (no LINQ or Rx: at ten million events they take minutes and say nothing new).</summary>
    public static QueryDefinition Q1 { get; } = WithPeers(Catalogue.Q1, static d => new HandFilter(d));

    // The cold variants build the sample's queries (samples/Clickstream/Queries.cs) with ExpectedKeys added.

    /// <summary>Q2 with the peers, and StreamKit built cold per pass without and with a hint of the page count.</summary>
    public static QueryDefinition Q2 { get; } = WithCold(
        WithPeers(Catalogue.Q2, static d => new HandTumbling(d)),
        static (s, hint) => StreamPipeline.Create<ClickEvent, EventTime>(default).Where(new IsView()).KeyBy<int, ByPage>(default)
            .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1))).ExpectedKeys(hint).Aggregate(static a => a.Count()).To(s),
        static d => d.Pages);

    /// <summary>Q3 with the peers, and StreamKit built cold per pass without and with a hint of the page count.</summary>
    public static QueryDefinition Q3 { get; } = WithCold(
        WithPeers(Catalogue.Q3, static d => new HandHopping(d)),
        static (s, hint) => StreamPipeline.Create<ClickEvent, EventTime>(default).KeyBy<int, ByPage>(default)
            .Window(WindowSpec.Hopping(TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(1))).ExpectedKeys(hint).Aggregate(static a => a.Count()).To(s),
        static d => d.Pages);

    /// <summary>Q4 with the peers, and StreamKit built cold per pass without and with a hint of the user count.</summary>
    public static QueryDefinition Q4 { get; } = WithCold(
        WithPeers(Catalogue.Q4, static d => new HandSessions(d)),
        static (s, hint) => StreamPipeline.Create<ClickEvent, EventTime>(default).KeyBy<int, ByUser>(default)
            .Window(WindowSpec.Session(TimeSpan.FromMinutes(30))).ExpectedKeys(hint).Aggregate(static a => a.Count()).To(s),
        static d => d.Users);

    /// <summary>Q5, hand-written and StreamKit only (a decoder feeding a channel is another benchmark).</summary>
    public static QueryDefinition Q5 { get; } = WithPeers(Catalogue.Q5, null);

    /// <summary>Every query, in order.</summary>
    public static IReadOnlyList<QueryDefinition> All { get; } = [Q1, Q2, Q3, Q4, Q5];

    private static QueryDefinition WithCold(QueryDefinition query, Func<ChecksumSink, int, Pipeline<ClickEvent>> build, Func<ClickData, int> keys)
    {
        var variants = new Dictionary<string, Func<ClickData, QueryVariant>>(query.Variants)
        {
            [Catalogue.StreamKitCold] = d => new StreamKitColdQuery(d, s => build(s, 0)),
            [Catalogue.StreamKitColdHinted] = d => new StreamKitColdQuery(d, s => build(s, keys(d))),
        };
        return query with { Variants = variants };
    }

    private static QueryDefinition WithPeers(QueryDefinition query, Func<ClickData, BatchedVariant>? hand)
    {
        var variants = new Dictionary<string, Func<ClickData, QueryVariant>>
        {
            [Catalogue.HandWritten] = query.Variants[Catalogue.HandWritten],
            [Catalogue.StreamKit] = query.Variants[Catalogue.StreamKit],
        };
        if (hand is not null)
        {
            variants[Catalogue.Channels] = d => new ChannelPeer(d, hand(d));
        }

        return query with { Variants = variants };
    }
}

/// <summary>A query over a chosen data set with the hand-written loop, StreamKit and the channel peer.</summary>
public abstract class PeerBenchmarks : QueryBenchmarks
{
    /// <summary>The hand-written loop.</summary>
    [Benchmark(Baseline = true)]
    public void HandWritten() => Invoke(Catalogue.HandWritten);

    /// <summary>The StreamKit pipeline of <see cref="Queries"/>.</summary>
    [Benchmark]
    public void StreamKit() => Invoke(Catalogue.StreamKit);

    /// <summary>The hand-written loop behind a channel.</summary>
    [Benchmark]
    public void Channels() => Invoke(Catalogue.Channels);
}

/// <summary>A query over the high-cardinality data set (1M users, 10k pages).</summary>
public abstract class HighCardBenchmarks : PeerBenchmarks
{
    /// <summary>Events per operation: 10M under --full, 1M under --quick.</summary>
    [ParamsSource(typeof(HighCardinality), nameof(HighCardinality.EventCounts))]
    public int Events { get; set; } = HighCardinality.QuickEvents;

    /// <inheritdoc />
    protected override ClickData Data => ClickData.Get(Events, HighCardinality.Users, HighCardinality.Pages);
}

/// <summary>A keyed query at high cardinality, also built cold per pass without and with a capacity hint.</summary>
public abstract class HighCardKeyedBenchmarks : HighCardBenchmarks
{
    /// <summary>StreamKit built anew for each pass, its tables grown from empty.</summary>
    [Benchmark]
    public void StreamKitCold() => Invoke(Catalogue.StreamKitCold);

    /// <summary>StreamKit built anew for each pass with <c>ExpectedKeys</c> set to the key count.</summary>
    [Benchmark]
    public void StreamKitColdHinted() => Invoke(Catalogue.StreamKitColdHinted);
}

/// <summary>Q1 at high cardinality (the filter has no key: a control).</summary>
[MemoryDiagnoser]
public class HighCardQ1Benchmarks : HighCardBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q1;
}

/// <summary>Q2 at high cardinality: 10,000 pages.</summary>
[MemoryDiagnoser]
public class HighCardQ2Benchmarks : HighCardKeyedBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q2;
}

/// <summary>Q3 at high cardinality: 10,000 pages.</summary>
[MemoryDiagnoser]
public class HighCardQ3Benchmarks : HighCardKeyedBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q3;
}

/// <summary>Q4 at high cardinality: 1,000,000 users.</summary>
[MemoryDiagnoser]
public class HighCardQ4Benchmarks : HighCardKeyedBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q4;
}

/// <summary>Q5 at high cardinality: JSON lines, then Q2 over 10,000 pages.</summary>
[MemoryDiagnoser]
public class HighCardQ5Benchmarks : QueryBenchmarks
{
    /// <summary>Events per operation: 10M under --full, 1M under --quick.</summary>
    [ParamsSource(typeof(HighCardinality), nameof(HighCardinality.EventCounts))]
    public int Events { get; set; } = HighCardinality.QuickEvents;

    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q5;

    /// <inheritdoc />
    protected override ClickData Data => ClickData.Get(Events, HighCardinality.Users, HighCardinality.Pages);

    /// <summary>A Utf8JsonReader loop written for the schema, then the hand-written Q2.</summary>
    [Benchmark(Baseline = true)]
    public void HandWritten() => Invoke(Catalogue.HandWritten);

    /// <summary><c>JsonLinesDecoder</c> + <c>Queries.Tumbling</c>.</summary>
    [Benchmark]
    public void StreamKit() => Invoke(Catalogue.StreamKit);
}

/// <summary>A query over 1M events whose users and pages are both drawn (Zipf) from <see cref="Keys"/> ids.</summary>
public abstract class SweepBenchmarks : PeerBenchmarks
{
    /// <summary>Distinct keys.</summary>
    [ParamsSource(typeof(HighCardinality), nameof(HighCardinality.SweepKeys))]
    public int Keys { get; set; } = 2_000;

    /// <inheritdoc />
    protected override ClickData Data => ClickData.Get(HighCardinality.QuickEvents, Keys, Keys);
}

/// <summary>Q2 (keyed by page) across key counts.</summary>
[MemoryDiagnoser]
public class SweepQ2Benchmarks : SweepBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q2;
}

/// <summary>Q3 (keyed by page) across key counts.</summary>
[MemoryDiagnoser]
public class SweepQ3Benchmarks : SweepBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q3;
}

/// <summary>Q4 (keyed by user) across key counts.</summary>
[MemoryDiagnoser]
public class SweepQ4Benchmarks : SweepBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => HighCardinality.Q4;
}
