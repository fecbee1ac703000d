using System.Text.Json;
using MessagePack;
using System.Text.Json.Nodes;
using StreamKit.Keys;
using StreamKit.Records;

namespace StreamKit.MessagePack.Tests;

public enum EventKind
{
    View,
    Click,
    Purchase,
}

/// <summary>The clickstream record the tests decode into: one field of every <see cref="FieldKind"/>.</summary>
public struct Click
{
    public long Ts;
    public int UserId;
    public int PageId;
    public EventKind EventType;
    public int DurationMs;
    public double Revenue;
    public bool Mobile;
    public int CountryId;
    public long SessionId;
}

/// <summary>A record map for <see cref="Click"/> with its own country interner (not thread-safe: one per test).</summary>
public sealed class ClickCodec
{
    public ClickCodec(MessagePackDecoderOptions? decoderOptions = null, MessagePackEncoderOptions? encoderOptions = null)
    {
        var countries = Countries;
        Map = new RecordMap<Click>()
            .TimestampMillis("ts", static (ref Click c, long v) => c.Ts = v, static (in Click c) => c.Ts)
            .Int32("userId", static (ref Click c, int v) => c.UserId = v, static (in Click c) => c.UserId)
            .Int32("pageId", static (ref Click c, int v) => c.PageId = v, static (in Click c) => c.PageId)
            .String("eventType", static (ref Click c, ReadOnlySpan<byte> v) => TryParseKind(v, out c.EventType), static (in Click c) => KindName(c.EventType))
            .Int32("durationMs", static (ref Click c, int v) => c.DurationMs = v, static (in Click c) => c.DurationMs, required: false)
            .Double("revenue", static (ref Click c, double v) => c.Revenue = v, static (in Click c) => c.Revenue, required: false)
            .Boolean("mobile", static (ref Click c, bool v) => c.Mobile = v, static (in Click c) => c.Mobile, required: false)
            .String("country", (ref Click c, ReadOnlySpan<byte> v) => countries.TryGetOrAdd(v, out c.CountryId), (in Click c) => countries.GetBytes(c.CountryId), required: false)
            .Int64("sessionId", static (ref Click c, long v) => c.SessionId = v, static (in Click c) => c.SessionId, required: false);
        Decoder = new MessagePackDecoder<Click>(Map, decoderOptions);
        Encoder = new MessagePackEncoder<Click>(Map, encoderOptions);
        Countries.GetOrAdd(""u8);
    }

    public Utf8Interner Countries { get; } = new(maxCount: 1000);

    public RecordMap<Click> Map { get; }

    public MessagePackDecoder<Click> Decoder { get; }

    public MessagePackEncoder<Click> Encoder { get; }

    public Click Sample(long ts = 1_700_000_000_123, string country = "NZ") => new()
    {
        Ts = ts,
        UserId = 42,
        PageId = 7,
        EventType = EventKind.Click,
        DurationMs = 350,
        Revenue = 12.5,
        Mobile = true,
        CountryId = Countries.GetOrAdd(System.Text.Encoding.UTF8.GetBytes(country)),
        SessionId = 9_007_199_254_740_993,
    };

    public byte[] Encode(in Click click)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        Encoder.Encode(in click, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    public Click Decode(ReadOnlySpan<byte> payload)
    {
        var click = default(Click);
        Assert.True(Decoder.TryDecode(payload, ref click, out var error), error);
        Assert.Null(error);
        return click;
    }

    public string DecodeError(ReadOnlySpan<byte> payload)
    {
        var click = default(Click);
        Assert.False(Decoder.TryDecode(payload, ref click, out var error));
        Assert.NotNull(error);
        return error;
    }

    /// <summary>The record as JSON in the shape the golden and interop files use.</summary>
    public JsonObject ToJson(in Click click) => new()
    {
        ["ts"] = click.Ts,
        ["userId"] = click.UserId,
        ["pageId"] = click.PageId,
        ["eventType"] = System.Text.Encoding.UTF8.GetString(KindName(click.EventType)),
        ["durationMs"] = click.DurationMs,
        ["revenue"] = click.Revenue,
        ["mobile"] = click.Mobile,
        ["country"] = Countries.GetString(click.CountryId),
        ["sessionId"] = click.SessionId,
    };

    /// <summary>Reads a record from the JSON shape of <see cref="ToJson"/>.</summary>
    public Click FromJson(JsonNode json) => new()
    {
        Ts = json["ts"]!.GetValue<long>(),
        UserId = json["userId"]!.GetValue<int>(),
        PageId = json["pageId"]!.GetValue<int>(),
        EventType = TryParseKind(System.Text.Encoding.UTF8.GetBytes(json["eventType"]!.GetValue<string>()), out var kind) ? kind : throw new JsonException("bad eventType"),
        DurationMs = json["durationMs"]!.GetValue<int>(),
        Revenue = json["revenue"]!.GetValue<double>(),
        Mobile = json["mobile"]!.GetValue<bool>(),
        CountryId = Countries.GetOrAdd(System.Text.Encoding.UTF8.GetBytes(json["country"]!.GetValue<string>())),
        SessionId = json["sessionId"]!.GetValue<long>(),
    };

    private static bool TryParseKind(ReadOnlySpan<byte> utf8, out EventKind kind)
    {
        if (utf8.SequenceEqual("view"u8))
        {
            kind = EventKind.View;
            return true;
        }

        if (utf8.SequenceEqual("click"u8))
        {
            kind = EventKind.Click;
            return true;
        }

        kind = EventKind.Purchase;
        return utf8.SequenceEqual("purchase"u8);
    }

    private static ReadOnlySpan<byte> KindName(EventKind kind) => kind switch
    {
        EventKind.View => "view"u8,
        EventKind.Click => "click"u8,
        _ => "purchase"u8,
    };
}

internal static class Bytes
{
    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    public static byte[] Write(Writing write)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        write(ref writer);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Nested arrays <paramref name="depth"/> deep, each holding the next; the innermost is empty.</summary>
    public static byte[] Nested(int depth)
    {
        var bytes = new byte[depth];
        bytes.AsSpan(0, depth - 1).Fill(0x91);
        bytes[^1] = 0x90;
        return bytes;
    }
}

/// <summary>Writes test values; the writer is passed by reference because it buffers.</summary>
internal delegate void Writing(ref MessagePackWriter writer);

/// <summary>Values MessagePack-CSharp's writer has no single call for.</summary>
internal static class WriterExtensions
{
    /// <summary>A timestamp extension, through <see cref="DateTime"/> (100 ns precision is all these tests need).</summary>
    public static void WriteTimestamp(this ref MessagePackWriter writer, long seconds, uint nanoseconds) =>
        writer.Write(DateTime.UnixEpoch.AddSeconds(seconds).AddTicks(nanoseconds / 100));

    public static void WriteExtension(this ref MessagePackWriter writer, sbyte typeCode, byte[] data) =>
        writer.WriteExtensionFormat(new ExtensionResult(typeCode, data));
}
