using System.Buffers;
using StreamKit.Keys;
using StreamKit.Records;

namespace StreamKit.Avro.Tests;

/// <summary>The clickstream record the tests decode into; strings are interned ids so decoding allocates nothing.</summary>
public struct Click
{
    public long Ts;
    public long UserId;
    public long PageId;
    public int EventType;
    public int DurationMs;
    public double Revenue;
    public bool IsBot;

    /// <summary>Interned referrer id + 1; 0 when absent.</summary>
    public int Referrer;

    public override readonly string ToString() =>
        $"Click(ts={Ts}, user={UserId}, page={PageId}, event={Clicks.Text(EventType)}, dur={DurationMs}, rev={Revenue}, bot={IsBot}, ref={(Referrer == 0 ? "-" : Clicks.Text(Referrer - 1))})";
}

public static class Clicks
{
    private static readonly Utf8Interner s_strings = new();
    private static readonly Lock s_lock = new();

    public static readonly string[] EventTypes = ["view", "click", "purchase", "scroll"];

    /// <summary>The full map: every field required except the referrer.</summary>
    public static RecordMap<Click> Map { get; } = new RecordMap<Click>()
        .TimestampMillis("ts", static (ref Click c, long v) => c.Ts = v, static (in Click c) => c.Ts)
        .Int64("userId", static (ref Click c, long v) => c.UserId = v, static (in Click c) => c.UserId)
        .Int64("pageId", static (ref Click c, long v) => c.PageId = v, static (in Click c) => c.PageId)
        .String("eventType", static (ref Click c, ReadOnlySpan<byte> s) => Intern(s, out c.EventType), static (in Click c) => Bytes(c.EventType))
        .Int32("durationMs", static (ref Click c, int v) => c.DurationMs = v, static (in Click c) => c.DurationMs)
        .Double("revenue", static (ref Click c, double v) => c.Revenue = v, static (in Click c) => c.Revenue)
        .Boolean("isBot", static (ref Click c, bool v) => c.IsBot = v, static (in Click c) => c.IsBot)
        .String("referrer", static (ref Click c, ReadOnlySpan<byte> s) => InternPlusOne(s, out c.Referrer), static (in Click c) => c.Referrer == 0 ? default : Bytes(c.Referrer - 1), required: false);

    public static int Id(string text)
    {
        Intern(System.Text.Encoding.UTF8.GetBytes(text), out var id);
        return id;
    }

    public static string Text(int id)
    {
        lock (s_lock)
        {
            return s_strings.GetString(id);
        }
    }

    public static ReadOnlySpan<byte> Bytes(int id)
    {
        lock (s_lock)
        {
            return s_strings.GetBytes(id);
        }
    }

    public static bool Intern(ReadOnlySpan<byte> utf8, out int id)
    {
        lock (s_lock)
        {
            return s_strings.TryGetOrAdd(utf8, out id);
        }
    }

    private static bool InternPlusOne(ReadOnlySpan<byte> utf8, out int idPlusOne)
    {
        var ok = Intern(utf8, out var id);
        idPlusOne = id + 1;
        return ok;
    }

    /// <summary>Deterministic pseudo-random clicks; a third have an empty referrer (0-length strings on the wire).</summary>
    public static Click[] Generate(int count, int seed = 42)
    {
        var random = new Random(seed);
        var clicks = new Click[count];
        for (var i = 0; i < count; i++)
        {
            clicks[i] = new Click
            {
                Ts = 1_700_000_000_000L + (i * 137L) + random.Next(100),
                UserId = random.NextInt64(-5_000_000_000L, 5_000_000_000L),
                PageId = random.Next(0, 1000),
                EventType = Id(EventTypes[random.Next(EventTypes.Length)]),
                DurationMs = random.Next(-10, 600_000),
                Revenue = Math.Round(random.NextDouble() * 100, 2),
                IsBot = random.Next(10) == 0,
                Referrer = Id(random.Next(3) == 0 ? "" : "https://ref.example/" + random.Next(5)) + 1,
            };
        }

        return clicks;
    }

    public static byte[] Encode(AvroEncoder<Click> encoder, in Click click)
    {
        var buffer = new ArrayBufferWriter<byte>();
        encoder.Encode(in click, buffer);
        return buffer.WrittenSpan.ToArray();
    }
}
