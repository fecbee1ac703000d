using System.Buffers;
using StreamKit.State;
using StreamKit.Windows;

namespace StreamKit.Core.Tests.Windows;

public sealed class SessionDueQueueTests
{
    [Fact]
    public void Push_EndsInOrder_StayOutOfTheHeapAndLeaveInOrder()
    {
        var queue = new SessionDueQueue(4);
        for (var i = 0; i < 200; i++)
        {
            queue.Push(new SessionDue(1000 + (i / 3), i)); // equal times too
        }

        Assert.Equal(0, queue.OutOfOrderCount);
        Assert.Equal(Enumerable.Range(0, 200), PopAll(queue, long.MaxValue).Select(static d => d.Slot));
    }

    [Fact]
    public void TryPop_NothingDue_ReturnsFalseAndKeepsEverything()
    {
        var queue = new SessionDueQueue(4);
        queue.Push(new SessionDue(500, 1));
        queue.Push(new SessionDue(300, 2)); // before the ring's tail: the heap

        Assert.False(queue.TryPop(299, out _));
        Assert.Equal(2, queue.Count);
        Assert.True(queue.TryPop(300, out var due));
        Assert.Equal(2, due.Slot);
        Assert.False(queue.TryPop(499, out _));
        Assert.Equal(1, queue.Count);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void TryPop_EndsNearlyInOrder_LeaveEarliestFirstThroughEachWatermark(int seed)
    {
        // Ends as sessions produce them: mostly rising, a few behind (out-of-order events, sessions queued again at
        // a new end), popped as the watermark moves on between pushes; the model is a sorted list.
        var random = new Random(seed);
        var queue = new SessionDueQueue(4);
        var model = new List<SessionDue>();
        var usedHeap = false;
        long now = 0;
        for (var i = 0; i < 5_000; i++)
        {
            now += random.Next(0, 5);
            var at = now + 100 - (random.Next(10) == 0 ? random.Next(0, 80) : 0);
            var due = new SessionDue(at, i);
            queue.Push(due);
            model.Add(due);
            usedHeap |= queue.OutOfOrderCount > 0;
            if (random.Next(20) == 0 || i == 4_999)
            {
                var watermark = i == 4_999 ? long.MaxValue : now + random.Next(0, 50);
                var popped = PopAll(queue, watermark);

                // Earliest first, and exactly the entries due (equal times leave in no particular order).
                Assert.Equal(popped.Select(static d => d.At).Order(), popped.Select(static d => d.At));
                Assert.Equal(model.Where(d => d.At <= watermark), popped.OrderBy(static d => d.Slot));
                model.RemoveAll(d => d.At <= watermark);
                Assert.Equal(model.Count, queue.Count);
            }
        }

        Assert.Equal(0, queue.Count);
        Assert.True(usedHeap);
    }

    [Fact]
    public void WriteState_WrappedRingAndHeap_RestoresTheSameQueueAndWritesTheSameBytes()
    {
        var queue = new SessionDueQueue(4);
        for (var i = 0; i < 60; i++)
        {
            queue.Push(new SessionDue(i * 10, i));
        }

        PopAll(queue, 400); // the ring's head is now past the middle
        for (var i = 60; i < 100; i++)
        {
            queue.Push(new SessionDue(i * 10, i)); // wraps around the 64-entry ring
        }

        queue.Push(new SessionDue(455, 100)); // the heap
        var bytes = Write(queue);
        var restored = new SessionDueQueue(4);
        var reader = new StateReader(bytes);
        restored.ReadState(ref reader);

        Assert.True(reader.IsEmpty);
        Assert.Equal(bytes, Write(restored));
        Assert.Equal(1, restored.OutOfOrderCount);
        var expected = PopAll(queue, long.MaxValue);
        Assert.Equal(expected, PopAll(restored, long.MaxValue));
        Assert.Equal(60, expected.Count);
        Assert.Equal(410, expected[0].At);
    }

    [Fact]
    public void ReadState_EndsOutOfOrderInTheRing_Refused()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new StateWriter(buffer);
        writer.WriteInt64(1000);
        writer.WriteSpan<RingEntry>([new RingEntry(20, 0), new RingEntry(10, 1)]);
        writer.WriteSpan<SessionDue>([]);
        var queue = new SessionDueQueue(4);

        Assert.Throws<InvalidDataException>(() =>
        {
            var reader = new StateReader(buffer.WrittenSpan);
            queue.ReadState(ref reader);
        });
    }

    [Fact]
    public void Push_TimesFurtherApartThanAnOffsetHolds_LeaveInOrder()
    {
        // Ring entries hold their time as a 32-bit offset from a base: a time too far past the ring's head goes to
        // the heap.
        const long far = 1L << 32;
        var queue = new SessionDueQueue(4);
        queue.Push(new SessionDue(-5, 0));
        queue.Push(new SessionDue(far, 1)); // too far from the head: the heap
        queue.Push(new SessionDue(10, 2));
        queue.Push(new SessionDue(long.MaxValue, 3));
        Assert.Equal(2, queue.OutOfOrderCount);

        Assert.Equal([0, 2], PopAll(queue, 10).Select(static d => d.Slot));
        queue.Push(new SessionDue(far + 20, 4)); // the ring is empty: a new base
        queue.Push(new SessionDue(far / 2, 5)); // before the ring's tail: the heap
        Assert.Equal([(far / 2, 5)], PopAll(queue, far / 2).Select(static d => (d.At, d.Slot)));
        queue.Push(new SessionDue(far + 30, 6));
        queue.Push(new SessionDue((3 * far) + 1, 7)); // too far from the head
        queue.Push(new SessionDue(far + 40, 8));

        Assert.Equal(
            [(far, 1), (far + 20, 4), (far + 30, 6), (far + 40, 8), ((3 * far) + 1, 7), (long.MaxValue, 3)],
            PopAll(queue, long.MaxValue).Select(static d => (d.At, d.Slot)));
    }

    [Fact]
    public void Push_EventTimeMovingOnForYears_RebasesTheRingAndKeepsEveryTime()
    {
        // A ring that never empties while event time moves on by far more than an offset holds.
        var queue = new SessionDueQueue(4);
        long now = 0;
        var step = 1L << 27;
        var expected = new List<long>();
        var popped = new List<long>();
        for (var i = 0; i < 400; i++)
        {
            now += step;
            queue.Push(new SessionDue(now, i));
            expected.Add(now);
            popped.AddRange(PopAll(queue, now - (8 * step)).Select(static d => d.At));
        }

        popped.AddRange(PopAll(queue, long.MaxValue).Select(static d => d.At));
        Assert.Equal(expected, popped);
        Assert.Equal(0, queue.OutOfOrderCount);
    }

    private static List<SessionDue> PopAll(SessionDueQueue queue, long through)
    {
        var popped = new List<SessionDue>();
        while (queue.TryPop(through, out var due))
        {
            popped.Add(due);
        }

        return popped;
    }

    private static byte[] Write(SessionDueQueue queue)
    {
        var buffer = new ArrayBufferWriter<byte>();
        queue.WriteState(new StateWriter(buffer));
        return buffer.WrittenSpan.ToArray();
    }
}
