using StreamKit.Runtime;

namespace StreamKit.Testing.Tests;

public class InMemoryDeadLetterSinkTests
{
    [Fact]
    public void Write_Letter_KeepsACopyOfEverything()
    {
        var sink = new InMemoryDeadLetterSink();
        byte[] payload = [.. "{oops"u8];
        byte[] key = [1, 2];

        sink.Write(new DeadLetter("src", "p0", 42, "malformed", payload, key, 1234));
        payload[0] = (byte)'X';
        key[0] = 9;

        var letter = Assert.Single(sink.Letters);
        Assert.Equal(("src", "p0", 42L, "malformed", 1234L), (letter.Source, letter.Partition, letter.Position, letter.Reason, letter.Timestamp));
        Assert.Equal("{oops", letter.PayloadText);
        Assert.Equal([1, 2], letter.Key);
    }

    [Fact]
    public async Task DropUnflushed_AfterFlush_KeepsOnlyFlushedLetters()
    {
        var sink = new InMemoryDeadLetterSink();
        sink.Write(new DeadLetter("s", "p", 1, "r", "a"u8, default, 0));
        await sink.FlushAsync();
        sink.Write(new DeadLetter("s", "p", 2, "r", "b"u8, default, 0));

        Assert.Equal(2, sink.Letters.Count);
        Assert.Single(sink.Flushed);

        sink.DropUnflushed();

        Assert.Equal(1, Assert.Single(sink.Letters).Position);
        Assert.Equal(1, sink.FlushCount);
        sink.Clear();
        Assert.Empty(sink.Letters);
        Assert.Empty(sink.Flushed);
    }
}
