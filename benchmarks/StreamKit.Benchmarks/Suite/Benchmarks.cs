using BenchmarkDotNet.Attributes;
using StreamKit.Benchmarks.Data;

namespace StreamKit.Benchmarks.Suite;

/// <summary>
/// What every query benchmark shares: one operation is one pass over all <see cref="ClickData.DefaultCount"/> events.
/// The hand-written and StreamKit variants are built once and keep their state across operations (event time moves
/// on each time, see <see cref="BatchedVariant"/>); LINQ and Rx compute from scratch each time.
/// </summary>
public abstract class QueryBenchmarks
{
    private readonly Dictionary<string, QueryVariant> _variants = [];

    /// <summary>The query under test.</summary>
    protected abstract QueryDefinition Query { get; }

    /// <summary>The data set (default: <see cref="ClickData.Shared"/>).</summary>
    protected virtual ClickData Data => ClickData.Shared;

    /// <summary>Generates the data (once per process), verifies every variant's answer, and builds the variants.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var data = Data;
        Verification.Verify(Query, data);
        _variants.Clear();
        foreach (var (name, make) in Query.Variants)
        {
            _variants[name] = make(data);
        }
    }

    /// <summary>Runs one variant once over all the data.</summary>
    protected void Invoke(string variant) => _variants[variant].Invoke();
}

/// <summary>Q1: filter clicks and purchases, count them and sum their durations.</summary>
[MemoryDiagnoser]
public class Q1FilterBenchmarks : QueryBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => Catalogue.Q1;

    /// <summary>The hand-written loop.</summary>
    [Benchmark(Baseline = true)]
    public void HandWritten() => Invoke(Catalogue.HandWritten);

    /// <summary><c>Queries.Filter</c>.</summary>
    [Benchmark]
    public void StreamKit() => Invoke(Catalogue.StreamKit);

    /// <summary>Where + Aggregate.</summary>
    [Benchmark]
    public void Linq() => Invoke(Catalogue.Linq);

    /// <summary>Subject + Where + Aggregate.</summary>
    [Benchmark]
    public void Rx() => Invoke(Catalogue.Rx);
}

/// <summary>Q2: views per page per one-minute tumbling window.</summary>
[MemoryDiagnoser]
public class Q2TumblingBenchmarks : QueryBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => Catalogue.Q2;

    /// <summary>The hand-written loop.</summary>
    [Benchmark(Baseline = true)]
    public void HandWritten() => Invoke(Catalogue.HandWritten);

    /// <summary><c>Queries.Tumbling</c>.</summary>
    [Benchmark]
    public void StreamKit() => Invoke(Catalogue.StreamKit);

    /// <summary>Where + GroupBy.</summary>
    [Benchmark]
    public void Linq() => Invoke(Catalogue.Linq);

    /// <summary>GroupByUntil with event-time timers.</summary>
    [Benchmark]
    public void Rx() => Invoke(Catalogue.Rx);
}

/// <summary>Q3: events per page in five-minute windows every minute.</summary>
[MemoryDiagnoser]
public class Q3HoppingBenchmarks : QueryBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => Catalogue.Q3;

    /// <summary>The hand-written loop.</summary>
    [Benchmark(Baseline = true)]
    public void HandWritten() => Invoke(Catalogue.HandWritten);

    /// <summary><c>Queries.Hopping</c>.</summary>
    [Benchmark]
    public void StreamKit() => Invoke(Catalogue.StreamKit);

    /// <summary>SelectMany into windows + GroupBy.</summary>
    [Benchmark]
    public void Linq() => Invoke(Catalogue.Linq);

    /// <summary>SelectMany into windows + GroupByUntil with event-time timers.</summary>
    [Benchmark]
    public void Rx() => Invoke(Catalogue.Rx);
}

/// <summary>Q4: events per user session with a 30 minute gap.</summary>
[MemoryDiagnoser]
public class Q4SessionsBenchmarks : QueryBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => Catalogue.Q4;

    /// <summary>The hand-written loop.</summary>
    [Benchmark(Baseline = true)]
    public void HandWritten() => Invoke(Catalogue.HandWritten);

    /// <summary><c>Queries.Sessions</c>.</summary>
    [Benchmark]
    public void StreamKit() => Invoke(Catalogue.StreamKit);

    /// <summary>GroupBy user, sort, split on the gap.</summary>
    [Benchmark]
    public void Linq() => Invoke(Catalogue.Linq);

    /// <summary>GroupByUntil user with an event-time timer, Aggregate into sessions.</summary>
    [Benchmark]
    public void Rx() => Invoke(Catalogue.Rx);
}

/// <summary>Q5: decode JSON lines, then Q2.</summary>
[MemoryDiagnoser]
public class Q5JsonBenchmarks : QueryBenchmarks
{
    /// <inheritdoc />
    protected override QueryDefinition Query => Catalogue.Q5;

    /// <summary>A Utf8JsonReader loop written for the schema, then the hand-written Q2.</summary>
    [Benchmark(Baseline = true)]
    public void HandWritten() => Invoke(Catalogue.HandWritten);

    /// <summary><c>JsonLinesDecoder</c> + <c>Queries.Tumbling</c>.</summary>
    [Benchmark]
    public void StreamKit() => Invoke(Catalogue.StreamKit);

    /// <summary>JsonSerializer per line + GroupBy.</summary>
    [Benchmark]
    public void Linq() => Invoke(Catalogue.Linq);
}

/// <summary>The cost the harness adds to the batch-fed variants: copying each batch with its times shifted (see <see cref="Feed"/>).</summary>
[MemoryDiagnoser]
public class HarnessBenchmarks
{
    private readonly Clickstream.ClickEvent[] _batch = new Clickstream.ClickEvent[Feed.BatchSize];
    private long _offset;

    /// <summary>Generates the data.</summary>
    [GlobalSetup]
    public void Setup() => _ = ClickData.Shared;

    /// <summary>Delivers all batches and does nothing with them.</summary>
    [Benchmark]
    public long DeliveryOnly()
    {
        var events = ClickData.Shared.Events.AsSpan();
        for (var i = 0; i < events.Length; i += Feed.BatchSize)
        {
            var source = events.Slice(i, Math.Min(Feed.BatchSize, events.Length - i));
            Feed.Deliver(source, _batch, _offset);
        }

        _offset += ClickData.Shared.PeriodMs;
        return _batch[0].Ts;
    }
}
