using Clickstream;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Variants;

namespace StreamKit.Benchmarks.Suite;

/// <summary>A query and its implementations, by variant name (the benchmark method names).</summary>
public sealed record QueryDefinition(string Id, string Title, IReadOnlyDictionary<string, Func<ClickData, QueryVariant>> Variants);

/// <summary>The five queries of the suite.</summary>
public static class Catalogue
{
    /// <summary>The hand-written loop: every group's baseline.</summary>
    public const string HandWritten = nameof(HandWritten);

    /// <summary>The StreamKit pipeline from the Clickstream sample.</summary>
    public const string StreamKit = nameof(StreamKit);

    /// <summary>System.Linq over the whole array.</summary>
    public const string Linq = nameof(Linq);

    /// <summary>System.Reactive with an event-time scheduler.</summary>
    public const string Rx = nameof(Rx);

    /// <summary>StreamKit built anew per pass, tables grown from empty (see <see cref="StreamKitColdQuery"/>).</summary>
    public const string StreamKitCold = nameof(StreamKitCold);

    /// <summary>StreamKit built anew per pass with the key count as a capacity hint (<c>ExpectedKeys</c>).</summary>
    public const string StreamKitColdHinted = nameof(StreamKitColdHinted);

    /// <summary>The hand-written loop on a consumer task fed through System.Threading.Channels (see <see cref="ChannelPeer"/>).</summary>
    public const string Channels = nameof(Channels);

    /// <summary>Q1: clicks and purchases counted, durations summed.</summary>
    public static QueryDefinition Q1 { get; } = new("Q1", "Filter: clicks+purchases, count and sum", new Dictionary<string, Func<ClickData, QueryVariant>>
    {
        [HandWritten] = static d => new HandFilter(d),
        [StreamKit] = static d => new StreamKitQuery(d, static s => Queries.Filter(s)),
        [Linq] = static d => new LinqFilter(d),
        [Rx] = static d => new RxFilter(d),
    });

    /// <summary>Q2: views per page per one-minute tumbling window.</summary>
    public static QueryDefinition Q2 { get; } = new("Q2", "Tumbling: views per page per 1 min", new Dictionary<string, Func<ClickData, QueryVariant>>
    {
        [HandWritten] = static d => new HandTumbling(d),
        [StreamKit] = static d => new StreamKitQuery(d, static s => Queries.Tumbling(s)),
        [Linq] = static d => new LinqTumbling(d),
        [Rx] = static d => new RxTumbling(d),
    });

    /// <summary>Q3: events per page, five-minute windows every minute.</summary>
    public static QueryDefinition Q3 { get; } = new("Q3", "Hopping: events per page, 5 min every 1 min", new Dictionary<string, Func<ClickData, QueryVariant>>
    {
        [HandWritten] = static d => new HandHopping(d),
        [StreamKit] = static d => new StreamKitQuery(d, static s => Queries.Hopping(s)),
        [Linq] = static d => new LinqHopping(d),
        [Rx] = static d => new RxHopping(d),
    });

    /// <summary>Q4: events per user session, 30 minute gap.</summary>
    public static QueryDefinition Q4 { get; } = new("Q4", "Sessions: events per user, 30 min gap", new Dictionary<string, Func<ClickData, QueryVariant>>
    {
        [HandWritten] = static d => new HandSessions(d),
        [StreamKit] = static d => new StreamKitQuery(d, static s => Queries.Sessions(s)),
        [Linq] = static d => new LinqSessions(d),
        [Rx] = static d => new RxSessions(d),
    });

    /// <summary>Q5: JSON lines decoded, then Q2.</summary>
    public static QueryDefinition Q5 { get; } = new("Q5", "JSON lines decode + tumbling (Q2)", new Dictionary<string, Func<ClickData, QueryVariant>>
    {
        [HandWritten] = static d => new HandJsonTumbling(d),
        [StreamKit] = static d => new StreamKitJsonTumbling(d),
        [Linq] = static d => new LinqJsonTumbling(d),
    });

    /// <summary>Every query, in order.</summary>
    public static IReadOnlyList<QueryDefinition> All { get; } = [Q1, Q2, Q3, Q4, Q5];
}

/// <summary>Checks that every variant of a query gives the hand-written loop's answer before anything is timed.</summary>
public static class Verification
{
    private static readonly HashSet<string> s_verified = [];

    /// <summary>Runs each variant once over the data (fresh state, all windows closed at the end) and compares digests; throws on any difference.</summary>
    /// <remarks>
    /// Also replays the data three times into the long-lived hand-written and StreamKit variants, the way the
    /// benchmark does, and compares those digests, so the shifted replay is checked too. Once per query per process.
    /// </remarks>
    public static void Verify(QueryDefinition query, ClickData? data = null, TextWriter? log = null)
    {
        data ??= ClickData.Shared;
        lock (s_verified)
        {
            if (!s_verified.Add($"{query.Id} over {data.Name}"))
            {
                return;
            }
        }

        log ??= Console.Out;
        var expected = Run(query.Variants[Catalogue.HandWritten], data, invocations: 1);
        if (expected.Count == 0)
        {
            throw new InvalidOperationException($"{query.Id}: the hand-written loop produced no results.");
        }

        log.WriteLine($"// {query.Id} over {data.Name}");
        log.WriteLine($"// {query.Id} {Catalogue.HandWritten}: {expected}");
        foreach (var (name, make) in query.Variants)
        {
            if (name == Catalogue.HandWritten)
            {
                continue;
            }

            var actual = Run(make, data, invocations: 1);
            log.WriteLine($"// {query.Id} {name}: {actual}");
            if (actual != expected)
            {
                throw new InvalidOperationException($"{query.Id}: {name} gave {actual}; the hand-written loop gave {expected}.");
            }
        }

        var replayHand = Run(query.Variants[Catalogue.HandWritten], data, invocations: 3);
        var replayStreamKit = Run(query.Variants[Catalogue.StreamKit], data, invocations: 3);
        log.WriteLine($"// {query.Id} replayed 3x: {Catalogue.HandWritten} {replayHand}, {Catalogue.StreamKit} {replayStreamKit}");
        if (replayHand != replayStreamKit || replayHand.ValueSum != 3 * expected.ValueSum)
        {
            throw new InvalidOperationException($"{query.Id}: over three shifted replays StreamKit gave {replayStreamKit}; the hand-written loop gave {replayHand}.");
        }
    }

    private static ResultChecksum Run(Func<ClickData, QueryVariant> make, ClickData data, int invocations)
    {
        var variant = make(data);
        for (var i = 0; i < invocations; i++)
        {
            variant.Invoke();
        }

        return variant.Finish();
    }
}
