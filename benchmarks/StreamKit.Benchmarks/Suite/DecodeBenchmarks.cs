using System.Diagnostics.CodeAnalysis;
using BenchmarkDotNet.Attributes;
using Clickstream;
using StreamKit.Avro;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Variants;
using StreamKit.Codecs;
using StreamKit.MessagePack;

namespace StreamKit.Benchmarks.Suite;

/// <summary>
/// Decode throughput per wire format: StreamKit's JSON lines, MessagePack and Avro decoders, each next to a
/// hand-written reader loop for the same bytes, and Avro also next to Apache.Avro's own generic and specific readers. One operation decodes all <see cref="ClickData.DefaultCount"/>
/// records of one format into one reused <see cref="ClickEvent"/>, folding a checksum of every field.
/// </summary>
/// <remarks>
/// The variants share one loop (<see cref="Run{TDecoder}"/>), specialised per decoder struct, so they differ
/// only in the decoder. The bytes come from <see cref="EncodedClicks"/>; before anything is timed,
/// <see cref="Verify"/> checks that every decoder reproduces every event exactly.
/// </remarks>
[MemoryDiagnoser]
public class DecodeBenchmarks
{
    private static readonly Lock s_verifyLock = new();
    private static bool s_verified;

    private ClickEvent _event;
    private JsonLinesDecoder<ClickEvent> _jsonLines = null!;
    private MessagePackDecoder<ClickEvent> _messagePack = null!;
    private AvroDecoder<ClickEvent> _avro = null!;
    private ApacheAvroDecoders _apache = null!;

    /// <summary>Encodes the data (once per process), builds the decoders and verifies them.</summary>
    [GlobalSetup]
    public void Setup()
    {
        (_jsonLines, _messagePack, _avro) = CreateDecoders();
        _apache = new ApacheAvroDecoders();
        Verify();
    }

    /// <summary>StreamKit's <c>JsonLinesDecoder</c> with <see cref="ClickEvents.Map"/>.</summary>
    [Benchmark(Baseline = true)]
    public long JsonLines() => Run(EncodedClicks.JsonLines, new StreamKitJsonLines(_jsonLines));

    /// <summary>A <c>Utf8JsonReader</c> loop written for this schema.</summary>
    [Benchmark]
    public long JsonLinesHandWritten() => Run(EncodedClicks.JsonLines, default(HandDecoders.JsonLines));

    /// <summary>StreamKit's <c>MessagePackDecoder</c> with <see cref="ClickEvents.Map"/>.</summary>
    [Benchmark]
    public long MessagePack() => Run(EncodedClicks.MessagePack, new StreamKitMessagePack(_messagePack));

    /// <summary>A <c>MessagePackReader</c> loop written for this schema.</summary>
    [Benchmark]
    public long MessagePackHandWritten() => Run(EncodedClicks.MessagePack, default(HandDecoders.MessagePack));

    /// <summary>StreamKit's <c>AvroDecoder</c>, resolved from the encoder's schema to <see cref="ClickEvents.Map"/>.</summary>
    [Benchmark]
    public long Avro() => Run(EncodedClicks.Avro, new StreamKitAvro(_avro));

    /// <summary>An <c>AvroReader</c> loop reading the fields in schema order.</summary>
    [Benchmark]
    public long AvroHandWritten() => Run(EncodedClicks.Avro, default(HandDecoders.Avro));

    /// <summary>Apache.Avro's <c>GenericDatumReader&lt;GenericRecord&gt;</c>, reusing one record.</summary>
    [Benchmark]
    public long AvroApacheGeneric()
    {
        _apache.Rewind();
        return Run(EncodedClicks.Avro, _apache.AsGeneric());
    }

    /// <summary>Apache.Avro's <c>SpecificDatumReader</c> of an avrogen-style <see cref="ClickRecord"/>, reusing one record.</summary>
    [Benchmark]
    public long AvroApacheSpecific()
    {
        _apache.Rewind();
        return Run(EncodedClicks.Avro, _apache.AsSpecific());
    }

    /// <summary>Checks that all eight decoders reproduce every event of <see cref="ClickData.Shared"/> exactly; throws otherwise. Once per process.</summary>
    public static void Verify(TextWriter? log = null)
    {
        lock (s_verifyLock)
        {
            if (s_verified)
            {
                return;
            }

            log ??= Console.Out;
            var (jsonLines, messagePack, avro) = CreateDecoders();
            Check(EncodedClicks.JsonLines, "JsonLines", new StreamKitJsonLines(jsonLines), log);
            Check(EncodedClicks.JsonLines, "JsonLinesHandWritten", default(HandDecoders.JsonLines), log);
            Check(EncodedClicks.MessagePack, "MessagePack", new StreamKitMessagePack(messagePack), log);
            Check(EncodedClicks.MessagePack, "MessagePackHandWritten", default(HandDecoders.MessagePack), log);
            Check(EncodedClicks.Avro, "Avro", new StreamKitAvro(avro), log);
            Check(EncodedClicks.Avro, "AvroHandWritten", default(HandDecoders.Avro), log);
            var apache = new ApacheAvroDecoders();
            Check(EncodedClicks.Avro, "AvroApacheGeneric", apache.AsGeneric(), log);
            apache.Rewind();
            Check(EncodedClicks.Avro, "AvroApacheSpecific", apache.AsSpecific(), log);
            s_verified = true;
        }
    }

    private static (JsonLinesDecoder<ClickEvent>, MessagePackDecoder<ClickEvent>, AvroDecoder<ClickEvent>) CreateDecoders() =>
        (new(ClickEvents.Map), new(ClickEvents.Map), new(EncodedClicks.AvroSchema, ClickEvents.Map));

    private long Run<TDecoder>(EncodedClicks data, TDecoder decoder)
        where TDecoder : struct, IClickDecoder
    {
        var bytes = data.Bytes;
        var offsets = data.Offsets;
        var trailer = data.Trailer;
        ref var e = ref _event;
        var checksum = 0L;
        for (var i = 0; i < offsets.Length - 1; i++)
        {
            var start = offsets[i];
            if (!decoder.TryDecode(bytes.AsSpan(start, offsets[i + 1] - start - trailer), ref e))
            {
                ThrowRejected(data.Format, i);
            }

            checksum += Fold(e);
        }

        return checksum;
    }

    private static void Check<TDecoder>(EncodedClicks data, string name, TDecoder decoder, TextWriter log)
        where TDecoder : struct, IClickDecoder
    {
        var events = ClickData.Shared.Events;
        if (data.Count != events.Length)
        {
            throw new InvalidOperationException($"{name}: {data.Count} records for {events.Length} events.");
        }

        var checksum = 0L;
        for (var i = 0; i < events.Length; i++)
        {
            var e = default(ClickEvent);
            if (!decoder.TryDecode(data.Record(i), ref e))
            {
                ThrowRejected(name, i);
            }

            ref readonly var x = ref events[i];
            if (e.Ts != x.Ts || e.UserId != x.UserId || e.PageId != x.PageId || e.EventType != x.EventType || e.DurationMs != x.DurationMs || e.Country != x.Country)
            {
                throw new InvalidOperationException($"{name}: record {i} decoded as ({e.Ts}, {e.UserId}, {e.PageId}, {e.EventType}, {e.DurationMs}, {e.Country}); the event is ({x.Ts}, {x.UserId}, {x.PageId}, {x.EventType}, {x.DurationMs}, {x.Country}).");
            }

            checksum += Fold(e);
        }

        log.WriteLine($"// Decode {name}: {events.Length:N0} events reproduced exactly ({data.Format}, {data.BytesPerEvent:0.0} B/event), checksum {checksum}");
    }

    // Every field contributes, so no field's decoding can be optimised away.
    private static long Fold(in ClickEvent e) =>
        e.Ts + (e.UserId * 3L) + (e.PageId * 5L) + ((int)e.EventType * 7L) + (e.DurationMs * 11L) + (e.Country * 13L);

    [DoesNotReturn]
    private static void ThrowRejected(string what, int index) =>
        throw new InvalidOperationException($"{what}: record {index} was rejected.");

    private readonly struct StreamKitJsonLines(JsonLinesDecoder<ClickEvent> decoder) : IClickDecoder
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e) => decoder.TryDecode(payload, ref e, out _);
    }

    private readonly struct StreamKitMessagePack(MessagePackDecoder<ClickEvent> decoder) : IClickDecoder
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e) => decoder.TryDecode(payload, ref e, out _);
    }

    private readonly struct StreamKitAvro(AvroDecoder<ClickEvent> decoder) : IClickDecoder
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e) => decoder.TryDecode(payload, ref e, out _);
    }
}
