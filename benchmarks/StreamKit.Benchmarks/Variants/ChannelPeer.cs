using System.Threading.Channels;
using Clickstream;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Suite;

namespace StreamKit.Benchmarks.Variants;

/// <summary>
/// The peer a .NET developer would reach for without a stream library: the hand-written operator of a query on a
/// consumer task, fed batch by batch through a bounded <see cref="Channel{T}"/> (System.Threading.Channels, in the
/// BCL), the producer copying each batch into a buffer from a small recycled pool, the way a poll loop hands
/// records to a processing stage.
/// </summary>
/// <remarks>
/// The producer (the benchmark thread) and the consumer run concurrently, so on a machine with a free core the
/// copy and the processing overlap; on a busy one they compete. The hand-written operator is the same code as the
/// <see cref="Catalogue.HandWritten"/> variant, so the difference between the two is the cost of the hand-off.
/// </remarks>
public sealed class ChannelPeer : QueryVariant
{
    private const int Buffers = 8;
    private readonly BatchedVariant _operator;
    private readonly Channel<Work> _work = Channel.CreateBounded<Work>(new BoundedChannelOptions(Buffers) { SingleReader = true, SingleWriter = true });
    private readonly Channel<ClickEvent[]> _free = Channel.CreateBounded<ClickEvent[]>(new BoundedChannelOptions(Buffers) { SingleReader = true, SingleWriter = true });
    private readonly ManualResetEventSlim _passDone = new();
    private readonly Task _consumer;
    private long _offset;

    /// <summary>Starts the consumer task running <paramref name="handOperator"/>.</summary>
    public ChannelPeer(ClickData data, BatchedVariant handOperator)
        : base(data)
    {
        _operator = handOperator;
        for (var i = 0; i < Buffers; i++)
        {
            _free.Writer.TryWrite(new ClickEvent[Feed.BatchSize]);
        }

        _consumer = Task.Run(ConsumeAsync);
    }

    /// <inheritdoc />
    public override void Invoke()
    {
        var events = Data.Events.AsSpan();
        for (var i = 0; i < events.Length; i += Feed.BatchSize)
        {
            var source = events.Slice(i, Math.Min(Feed.BatchSize, events.Length - i));
            if (!_free.Reader.TryRead(out var buffer))
            {
                buffer = _free.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
            }

            Feed.Deliver(source, buffer, _offset);
            Send(new Work(buffer, source.Length));
        }

        // The pass ends when the consumer has processed every batch of it.
        _passDone.Reset();
        Send(new Work(null, 0));
        _passDone.Wait();
        _offset += Data.PeriodMs;
    }

    /// <inheritdoc />
    public override ResultChecksum Finish()
    {
        _work.Writer.Complete();
        _consumer.GetAwaiter().GetResult();
        return _operator.Finish();
    }

    private void Send(Work work)
    {
        if (!_work.Writer.TryWrite(work))
        {
            _work.Writer.WriteAsync(work).AsTask().GetAwaiter().GetResult();
        }
    }

    private async Task ConsumeAsync()
    {
        var reader = _work.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out var work))
            {
                if (work.Buffer is null)
                {
                    _passDone.Set();
                    continue;
                }

                _operator.Accept(work.Buffer.AsSpan(0, work.Count));
                _free.Writer.TryWrite(work.Buffer);
            }
        }
    }

    private readonly record struct Work(ClickEvent[]? Buffer, int Count);
}
