namespace StreamKit.Kafka.Internal;

/// <summary>Reuses standard-size chunks; a message too big for one gets a chunk of its own that is not kept.</summary>
internal sealed class ChunkPool
{
    private readonly Stack<Chunk> _free = new(64); // sized so that returning chunks does not grow it in steady state

    public Chunk Rent(int size)
    {
        if (size > Chunk.StandardBytes)
        {
            return new Chunk(size);
        }

        return _free.TryPop(out var chunk) ? chunk : new Chunk(Chunk.StandardBytes);
    }

    public void Return(Chunk chunk)
    {
        if (chunk.IsStandard)
        {
            chunk.Reset();
            _free.Push(chunk);
        }
    }
}
