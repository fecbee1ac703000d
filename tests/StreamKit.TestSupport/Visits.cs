using System.Text;
using StreamKit.Codecs;
using StreamKit.Keys;
using StreamKit.Pipeline;
using StreamKit.Records;
using StreamKit.Runtime;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.TestSupport;

/// <summary>The record the runtime, codec and file tests decode: every field kind once.</summary>
public struct Visit
{
    public long Ts;
    public int UserId;
    public long SessionId;
    public double Amount;
    public bool IsBot;
    public int Page;
}

/// <summary>A field map for <see cref="Visit"/> with its own page interner (one per test: interners are not thread-safe).</summary>
public sealed class VisitCodec
{
    public VisitCodec()
    {
        var pages = Pages;
        Map = new RecordMap<Visit>()
            .TimestampMillis("ts", static (ref Visit v, long x) => v.Ts = x, static (in Visit v) => v.Ts)
            .Int32("userId", static (ref Visit v, int x) => v.UserId = x, static (in Visit v) => v.UserId)
            .Int64("sessionId", static (ref Visit v, long x) => v.SessionId = x, static (in Visit v) => v.SessionId, required: false)
            .Double("amount", static (ref Visit v, double x) => v.Amount = x, static (in Visit v) => v.Amount, required: false)
            .Boolean("bot", static (ref Visit v, bool x) => v.IsBot = x, static (in Visit v) => v.IsBot, required: false)
            .String("page", (ref Visit v, ReadOnlySpan<byte> s) => !s.IsEmpty && pages.TryGetOrAdd(s, out v.Page), (in Visit v) => pages.GetBytes(v.Page));
    }

    public Utf8Interner Pages { get; } = new();

    public RecordMap<Visit> Map { get; }

    public string PageName(int id) => Pages.GetString(id);

    /// <summary>A valid JSON line.</summary>
    public static string Line(long ts, int userId, string page) =>
        $$"""{"ts":{{ts}},"userId":{{userId}},"page":"{{page}}"}""";
}

/// <summary>A window result with the page as text, so runs with different interners compare.</summary>
public readonly record struct PageCount(long Start, long End, string Page, long Count);

/// <summary>A page-views-per-minute pipeline over <see cref="Visit"/>, its sink, and helpers to compare runs.</summary>
public sealed class VisitPipeline
{
    private readonly IRecordSink<WindowResult<int, long>> _sink;

    public VisitPipeline(IRecordSink<WindowResult<int, long>>? sink = null, PipelineOptions? options = null)
    {
        _sink = sink ?? new CollectingSink<WindowResult<int, long>>();
        Pipeline = StreamPipeline.Create<Visit>(static v => v.Ts, options ?? new PipelineOptions { Name = "visits" })
            .WithState(Codec.Pages)
            .KeyBy(static v => v.Page)
            .Window(WindowSpec.Tumbling(TimeSpan.FromMinutes(1)))
            .Aggregate(static a => a.Count())
            .To(_sink);
    }

    /// <summary>The windows one pipeline gives over all of <paramref name="lines"/> in one batch: the reference for runs split into invocations.</summary>
    /// <param name="lines">JSON lines, in order.</param>
    /// <param name="complete">Close every window at the end (a flushed stream); otherwise only those its watermark closes.</param>
    public static List<PageCount> ReferenceRun(List<string> lines, bool complete)
    {
        var reference = new VisitPipeline();
        var decoder = reference.Decoder();
        var records = new Visit[lines.Count];
        for (var i = 0; i < lines.Count; i++)
        {
            Assert.True(decoder.TryDecode(VisitData.Utf8(lines[i]), ref records[i], out _));
        }

        reference.Pipeline.RegisterPartition(0);
        reference.Pipeline.Process(records);
        if (complete)
        {
            reference.Pipeline.Complete();
        }

        reference.Pipeline.FlushAsync().AsTask().GetAwaiter().GetResult();
        return reference.Flushed();
    }

    public VisitCodec Codec { get; } = new();

    public CollectingSink<WindowResult<int, long>> Sink => (CollectingSink<WindowResult<int, long>>)_sink;

    public Pipeline<Visit> Pipeline { get; }

    public JsonLinesDecoder<Visit> Decoder() => new(Codec.Map);

    /// <summary>This pipeline's decoder, calling <paramref name="onDecode"/> before each record is decoded (to wake a test waiting on progress).</summary>
    public IRecordDecoder<Visit> Decoder(Action onDecode) => new CallbackDecoder(Decoder(), onDecode);

    /// <summary>This pipeline with its decoder, as a function runner's factory returns it; <paramref name="onDecode"/> runs before each record is decoded (to move a clock, or to slow the run).</summary>
    public PipelineInstance<Visit> Instance(Action? onDecode = null) =>
        new(Pipeline, onDecode is null ? Decoder() : new CallbackDecoder(Decoder(), onDecode));

    /// <summary>The flushed results, with page names, in a canonical order.</summary>
    public List<PageCount> Flushed() => Canonical(Sink.Flushed);

    public List<PageCount> Canonical(IReadOnlyList<WindowResult<int, long>> results)
    {
        var list = new List<PageCount>(results.Count);
        foreach (var r in results)
        {
            list.Add(new PageCount(r.Start, r.End, Codec.PageName(r.Key), r.Value));
        }

        list.Sort(static (a, b) => a.Start != b.Start ? a.Start.CompareTo(b.Start) : string.CompareOrdinal(a.Page, b.Page));
        return list;
    }

    private sealed class CallbackDecoder(IRecordDecoder<Visit> inner, Action onDecode) : IRecordDecoder<Visit>
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, ref Visit record, out string? error)
        {
            onDecode();
            return inner.TryDecode(payload, ref record, out error);
        }
    }
}

/// <summary>Deterministic input: roughly ordered visits over a few pages, several per second.</summary>
public static class VisitData
{
    public const long Start = 1_704_067_200_000; // 2024-01-01T00:00:00Z

    public static readonly string[] Pages = ["home", "cart", "search", "help", "caf\u00e9"];

    /// <summary>JSON lines with timestamps rising 250 ms apart, jittered by under a second (far less than the allowed disorder).</summary>
    /// <remarks>
    /// Partitions read one after another (files) must not overlap in time: the watermark moves on with the partitions
    /// seen so far, so a later file's older events would be late. <paramref name="first"/> places the lines after others.
    /// </remarks>
    public static List<string> Lines(int count, int seed, int first = 0)
    {
        var random = new Random(seed);
        var lines = new List<string>(count);
        for (var i = first; i < first + count; i++)
        {
            var ts = Start + (i * 250L) + random.Next(-900, 900);
            lines.Add(VisitCodec.Line(ts, random.Next(1, 50), Pages[random.Next(Pages.Length)]));
        }

        return lines;
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
