using System.Buffers;
using MessagePack;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.Testing;

namespace StreamKit.MessagePack.Tests;

/// <summary>A record annotated for MessagePackSerializer with the key names <see cref="ClickCodec"/> writes.</summary>
[MessagePackObject]
public struct AnnotatedClick
{
    [Key("ts")]
    public long Ts;

    [Key("userId")]
    public int UserId;

    [Key("pageId")]
    public int PageId;

    [Key("eventType")]
    public string EventType;

    [Key("country")]
    public string Country;
}

/// <summary>A record annotated with integer keys: MessagePackSerializer writes and reads it as an array.</summary>
[MessagePackObject]
public struct Reading
{
    [Key(0)]
    public long Ts;

    [Key(1)]
    public double Value;
}

public class MessagePackSerializerDecoderTests
{
    private readonly MessagePackSerializerDecoder<AnnotatedClick> _decoder = new();

    [Fact]
    public void TryDecode_SerializedBySerializer_RoundTrips()
    {
        var click = new AnnotatedClick { Ts = 1_700_000_000_123, UserId = -5, PageId = 7, EventType = "view", Country = "日本" };

        var decoded = Decode(_decoder, MessagePackSerializer.Serialize(click));

        Assert.Equal(click, decoded);
    }

    [Fact]
    public void TryDecode_IntegerKeys_ReadsArrayLayout()
    {
        var decoder = new MessagePackSerializerDecoder<Reading>();
        var bytes = MessagePackSerializer.Serialize(new Reading { Ts = 42, Value = 2.5 });

        Assert.Equal("922acb4004000000000000", Bytes.ToHex(bytes));
        Assert.Equal(new Reading { Ts = 42, Value = 2.5 }, Decode(decoder, bytes));
    }

    [Fact]
    public void TryDecode_MapWrittenByMessagePackEncoder_FillsAnnotatedMembersAndSkipsTheRest()
    {
        var codec = new ClickCodec();
        var sample = codec.Sample();

        var decoded = Decode(_decoder, codec.Encode(sample));

        Assert.Equal(new AnnotatedClick { Ts = sample.Ts, UserId = 42, PageId = 7, EventType = "click", Country = "NZ" }, decoded);
    }

    [Theory]
    [InlineData("", "empty payload")]
    [InlineData("81a2747383", "Failed to deserialize")]
    [InlineData("81a274730c81", "trailing")]
    [InlineData("81a2747aa1", "Failed to deserialize")]
    [InlineData("81a27473a3616263", "Failed to deserialize")]
    [InlineData("c1", "Failed to deserialize")]
    public void TryDecode_Malformed_ReturnsReason(string hex, string expected)
    {
        var record = default(AnnotatedClick);

        Assert.False(_decoder.TryDecode(Bytes.Hex(hex), ref record, out var error));

        Assert.NotNull(error);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_NestedPastSecurityDepth_ReturnsReason()
    {
        // { "country": [[[ ... ]]] }: UntrustedData stops at its depth limit instead of recursing through the payload.
        var payload = Bytes.Write(static (ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(1);
            w.Write("country");
            w.WriteRaw(Bytes.Nested(10_000));
        });
        var record = default(AnnotatedClick);

        Assert.False(_decoder.TryDecode(payload, ref record, out var error));
        Assert.Contains("Failed to deserialize", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_MalformedRecordBetweenGoodOnes_GoesToDeadLettersWithReasonAndPosition()
    {
        var good = MessagePackSerializer.Serialize(new AnnotatedClick { Ts = 1_000, UserId = 1, PageId = 2, EventType = "view", Country = "NZ" });
        var bad = Bytes.Hex("81a2747383"); // {"ts": <a map where an integer belongs>}, truncated
        var source = new InMemorySource();
        source.Add("p", good, position: 10);
        source.Add("p", bad, position: 11);
        source.Add("p", good, position: 12);
        source.Complete();
        var sink = new CollectingSink<AnnotatedClick>();
        var deadLetters = new InMemoryDeadLetterSink();
        var pipeline = StreamPipeline.Create<AnnotatedClick>(static c => c.Ts).To(sink);
        var runner = new PipelineRunner<AnnotatedClick>(pipeline, source, _decoder, deadLetters);

        await runner.RunAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(2, sink.Flushed.Count);
        var letter = Assert.Single(deadLetters.Flushed);
        Assert.Equal(bad, letter.Payload);
        Assert.Equal(11, letter.Position);
        Assert.Contains("Failed to deserialize", letter.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TryDecode_AfterFailure_DecodesTheNextRecord()
    {
        var record = default(AnnotatedClick);
        Assert.False(_decoder.TryDecode(Bytes.Hex("81a2747383"), ref record, out _));

        var decoded = Decode(_decoder, MessagePackSerializer.Serialize(new AnnotatedClick { Ts = 3, EventType = "click", Country = "DE" }));

        Assert.Equal(3, decoded.Ts);
    }

    private static T Decode<T>(MessagePackSerializerDecoder<T> decoder, ReadOnlySpan<byte> payload)
        where T : struct
    {
        var record = default(T);
        Assert.True(decoder.TryDecode(payload, ref record, out var error), error);
        return record;
    }
}
