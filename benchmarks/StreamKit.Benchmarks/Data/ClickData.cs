using System.Buffers;
using System.Text.Json;
using Clickstream;

namespace StreamKit.Benchmarks.Data;

/// <summary>
/// The benchmark input: a deterministic clickstream (by default <see cref="DefaultCount"/> events over a little more
/// than an hour of event time, <see cref="DefaultUsers"/> users and <see cref="DefaultPages"/> pages), and the same
/// events rendered as JSON lines.
/// </summary>
/// <remarks>
/// Users and pages are Zipf-distributed (a few hot keys, a long tail), event types are about 80% view, 15% click and
/// 5% purchase. Event time advances by 0–8 ms per event (4 ms on average); about 3% of events are displaced back by
/// up to 4 s. Every event is therefore at most 4 s behind the largest time seen before it, inside the 5 s allowed
/// out-of-orderness, so no variant sees a late event and all of them must produce exactly the same windows.
/// </remarks>
public sealed class ClickData
{
    /// <summary>Events per benchmark invocation.</summary>
    public const int DefaultCount = 1_000_000;

    /// <summary>Distinct users of the default data set.</summary>
    public const int DefaultUsers = 50_000;

    /// <summary>Distinct pages of the default data set.</summary>
    public const int DefaultPages = 2_000;

    /// <summary>The first event's nominal time: 2025-01-01T00:00:00Z.</summary>
    public const long StartMs = 1_735_689_600_000;

    /// <summary>The largest displacement of an out-of-order event, below the pipelines' 5 s out-of-orderness.</summary>
    public const int MaxDisplacementMs = 4_000;

    private const int Seed = 20_250_101;
    private const long HourMs = 3_600_000;
    private static readonly Dictionary<(int Count, int Users, int Pages), ClickData> s_sets = [];
    private static readonly string[] s_countries =
        ["US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "AU", "ES", "IT", "NL", "MX", "KR", "SE", "PL", "TR", "ZA", "AR", "NG"];

    private byte[]? _jsonLines;

    private ClickData(int count, int userCount, int pageCount)
    {
        Users = userCount;
        Pages = pageCount;
        var random = new Random(Seed);
        var users = new ZipfSampler(userCount, exponent: 1.0, random);
        var pages = new ZipfSampler(pageCount, exponent: 1.1, random);
        var countries = new ZipfSampler(s_countries.Length, exponent: 1.2, random);
        var countryIds = new int[s_countries.Length];
        for (var i = 0; i < countryIds.Length; i++)
        {
            countryIds[i] = ClickEvents.Countries.GetOrAdd(System.Text.Encoding.ASCII.GetBytes(s_countries[i]));
        }

        var events = new ClickEvent[count];
        var nominal = StartMs;
        var displaced = 0;
        for (var i = 0; i < events.Length; i++)
        {
            nominal += random.Next(0, 9);
            var ts = nominal;
            if (random.NextDouble() < 0.03)
            {
                ts -= random.Next(1, MaxDisplacementMs + 1);
                displaced++;
            }

            var kind = random.NextDouble();
            events[i] = new ClickEvent
            {
                Ts = ts,
                UserId = users.Next(),
                PageId = pages.Next(),
                EventType = kind < 0.80 ? EventType.View : kind < 0.95 ? EventType.Click : EventType.Purchase,
                DurationMs = random.Next(50, 30_000),
                Country = countryIds[countries.Next()],
            };
        }

        Events = events;
        Displaced = displaced;
        var min = long.MaxValue;
        var max = long.MinValue;
        foreach (ref readonly var e in events.AsSpan())
        {
            min = Math.Min(min, e.Ts);
            max = Math.Max(max, e.Ts);
        }

        MinTs = min;
        MaxTs = max;

        // Whole hours keep minute and five-minute window alignment identical in every invocation, and the hour of
        // silence after the data closes every window and session (30 min gap) before the next invocation's events.
        PeriodMs = ((max - min + (2 * HourMs)) / HourMs) * HourMs;
    }

    /// <summary>The default data set (1M events, 50,000 users, 2,000 pages), generated once per process.</summary>
    public static ClickData Shared => Get(DefaultCount, DefaultUsers, DefaultPages);

    /// <summary>Distinct user ids drawn from (ids are 0..Users-1).</summary>
    public int Users { get; }

    /// <summary>Distinct page ids drawn from (ids are 0..Pages-1).</summary>
    public int Pages { get; }

    /// <summary>A short description, e.g. "1,000,000 events, 50,000 users, 2,000 pages".</summary>
    public string Name => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{Events.Length:N0} events, {Users:N0} users, {Pages:N0} pages");

    /// <summary>The data set of <paramref name="count"/> events over <paramref name="users"/> users and <paramref name="pages"/> pages (same seed, same shape as <see cref="Shared"/>), generated once per process.</summary>
    public static ClickData Get(int count, int users, int pages)
    {
        lock (s_sets)
        {
            if (!s_sets.TryGetValue((count, users, pages), out var data))
            {
                data = new ClickData(count, users, pages);
                s_sets[(count, users, pages)] = data;
            }

            return data;
        }
    }

    /// <summary>The events in arrival order.</summary>
    public ClickEvent[] Events { get; }

    /// <summary>How many events arrive out of order.</summary>
    public int Displaced { get; }

    /// <summary>The smallest event time.</summary>
    public long MinTs { get; }

    /// <summary>The largest event time.</summary>
    public long MaxTs { get; }

    /// <summary>
    /// How far event time moves between two invocations over long-lived state: the data is replayed shifted by this
    /// much each time, so a pipeline built once sees an endless stream whose time keeps advancing (its steady state).
    /// </summary>
    public long PeriodMs { get; }

    /// <summary>The events as JSON lines (one compact object and a newline per event), rendered on first use.</summary>
    public byte[] JsonLines => _jsonLines ??= RenderJsonLines(Events);

    private static byte[] RenderJsonLines(ClickEvent[] events)
    {
        var buffer = new ArrayBufferWriter<byte>(events.Length * 110);
        using var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { SkipValidation = true });
        foreach (ref readonly var e in events.AsSpan())
        {
            writer.Reset(buffer);
            writer.WriteStartObject();
            writer.WriteNumber("ts"u8, e.Ts);
            writer.WriteNumber("userId"u8, e.UserId);
            writer.WriteNumber("pageId"u8, e.PageId);
            writer.WriteString("eventType"u8, ClickEvents.Name(e.EventType));
            writer.WriteNumber("durationMs"u8, e.DurationMs);
            writer.WriteString("country"u8, ClickEvents.Countries.GetBytes(e.Country));
            writer.WriteEndObject();
            writer.Flush();
            buffer.GetSpan(1)[0] = (byte)'\n';
            buffer.Advance(1);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Draws ranks 0..n-1 with probability proportional to 1/(rank+1)^s, mapped through a fixed shuffle so hot keys are not simply the small ids.</summary>
    private sealed class ZipfSampler
    {
        private readonly double[] _cumulative;
        private readonly int[] _ids;
        private readonly Random _random;

        public ZipfSampler(int n, double exponent, Random random)
        {
            _random = random;
            _cumulative = new double[n];
            var total = 0.0;
            for (var rank = 0; rank < n; rank++)
            {
                total += 1.0 / Math.Pow(rank + 1, exponent);
                _cumulative[rank] = total;
            }

            for (var rank = 0; rank < n; rank++)
            {
                _cumulative[rank] /= total;
            }

            _ids = new int[n];
            for (var i = 0; i < n; i++)
            {
                _ids[i] = i;
            }

            random.Shuffle(_ids);
        }

        public int Next()
        {
            var rank = Array.BinarySearch(_cumulative, _random.NextDouble());
            rank = rank < 0 ? ~rank : rank;
            return _ids[Math.Min(rank, _ids.Length - 1)];
        }
    }
}
