using System.Text.Json;
using Clickstream;
using StreamKit.Benchmarks.Data;
using StreamKit.Benchmarks.Suite;

namespace StreamKit.Benchmarks.Variants;

// The practical limit: code written for exactly one query, with dense arrays indexed by page or user id instead of
// hash tables, no generic operators, no sink. Watermark semantics match StreamKit's: after each batch the watermark
// becomes (largest event time so far - 5 s) and every window ending at or before it fires; an event whose windows
// have all fired is late and dropped.

/// <summary>Q1 by hand: count and sum durations of clicks and purchases.</summary>
public sealed class HandFilter(ClickData data) : BatchedVariant(data)
{
    private long _count;
    private long _sum;

    /// <inheritdoc />
    public override ResultChecksum Finish()
    {
        var results = default(ResultChecksum);
        results.Add(0, 0, _count, _sum);
        return results;
    }

    /// <inheritdoc />
    protected override void OnBatch(Span<ClickEvent> batch)
    {
        long count = 0, sum = 0;
        foreach (ref readonly var e in batch)
        {
            if (e.EventType != EventType.View)
            {
                count++;
                sum += e.DurationMs;
            }
        }

        _count += count;
        _sum += sum;
    }
}

/// <summary>Per-page counts for one window or slice of event time, with the list of pages touched so reset and emit skip the rest.</summary>
/// <remarks>Sized for the data set's page count up front, as code written for one data set would be.</remarks>
internal sealed class PageCounts(int pages)
{
    public const long Empty = long.MinValue;

    public long Start = Empty;
    public long[] Counts = new long[pages];
    public int[] Touched = new int[pages];
    public int TouchedCount;

    public void Add(int page, long count = 1)
    {
        if ((uint)page >= (uint)Counts.Length)
        {
            Grow(page);
        }

        ref var slot = ref Counts[page];
        if (slot == 0)
        {
            Touched[TouchedCount++] = page;
        }

        slot += count;
    }

    public void Clear()
    {
        foreach (var page in Touched.AsSpan(0, TouchedCount))
        {
            Counts[page] = 0;
        }

        TouchedCount = 0;
        Start = Empty;
    }

    private void Grow(int page)
    {
        var size = Math.Max(page + 1, Counts.Length * 2);
        Array.Resize(ref Counts, size);
        Array.Resize(ref Touched, size);
    }
}

/// <summary>Q2 by hand: views per page per one-minute window, in a ring of per-minute page-count arrays.</summary>
public sealed class HandTumbling(ClickData data) : BatchedVariant(data)
{
    private const long Size = Windowing.MinuteMs;

    // With at most 5 s of disorder, windows still open span (watermark - 1 min, max]: at most two, so four slots
    // never collide; a collision would mean an assumption broke, and throws.
    private readonly PageCounts[] _ring = [new(data.Pages), new(data.Pages), new(data.Pages), new(data.Pages)];
    private ResultChecksum _results;
    private long _max = long.MinValue;
    private long _watermark = long.MinValue;

    /// <summary>Events dropped as late.</summary>
    public long Late { get; private set; }

    /// <inheritdoc />
    public override ResultChecksum Finish()
    {
        Fire(long.MaxValue);
        return _results;
    }

    /// <summary>Counts one view.</summary>
    public void AddView(int page, long ts)
    {
        var start = Windowing.Floor(ts, Size);
        if (start + Size <= _watermark)
        {
            Late++;
            return;
        }

        var window = _ring[(int)(start / Size) & 3];
        if (window.Start != start)
        {
            if (window.Start != PageCounts.Empty)
            {
                throw new InvalidOperationException("More than four one-minute windows open at once.");
            }

            window.Start = start;
        }

        window.Add(page);
    }

    /// <summary>Ends a batch whose largest event time was <paramref name="batchMax"/>: moves the watermark and fires.</summary>
    public void EndBatch(long batchMax)
    {
        _max = Math.Max(_max, batchMax);
        var watermark = _max - Windowing.MaxOutOfOrderMs;
        if (watermark > _watermark)
        {
            _watermark = watermark;
            Fire(watermark);
        }
    }

    /// <inheritdoc />
    protected override void OnBatch(Span<ClickEvent> batch)
    {
        var max = long.MinValue;
        foreach (ref readonly var e in batch)
        {
            max = Math.Max(max, e.Ts);
            if (e.EventType == EventType.View)
            {
                AddView(e.PageId, e.Ts);
            }
        }

        EndBatch(max);
    }

    private void Fire(long watermark)
    {
        foreach (var window in _ring)
        {
            if (window.Start != PageCounts.Empty && window.Start + Size <= watermark)
            {
                foreach (var page in window.Touched.AsSpan(0, window.TouchedCount))
                {
                    _results.Add(window.Start, window.Start + Size, page, window.Counts[page]);
                }

                window.Clear();
            }
        }
    }
}

/// <summary>Q3 by hand: events per page in five-minute windows every minute, from per-minute slices merged when a window fires.</summary>
public sealed class HandHopping(ClickData data) : BatchedVariant(data)
{
    private const long Hop = Windowing.MinuteMs;
    private const long Size = Windowing.FiveMinutesMs;

    // Live slices start in (watermark - 5 min, max]: at most six minutes, so eight slots never collide.
    private readonly PageCounts[] _ring = [.. Enumerable.Range(0, 8).Select(_ => new PageCounts(data.Pages))];
    private readonly PageCounts _merged = new(data.Pages);
    private ResultChecksum _results;
    private long _max = long.MinValue;
    private long _watermark = long.MinValue;
    private long _firedThrough = long.MinValue; // every window ending at or before this has fired

    /// <summary>Events dropped as late.</summary>
    public long Late { get; private set; }

    /// <inheritdoc />
    public override ResultChecksum Finish()
    {
        Fire(long.MaxValue);
        return _results;
    }

    /// <inheritdoc />
    protected override void OnBatch(Span<ClickEvent> batch)
    {
        var max = long.MinValue;
        foreach (ref readonly var e in batch)
        {
            max = Math.Max(max, e.Ts);
            Add(e.PageId, e.Ts);
        }

        _max = Math.Max(_max, max);
        var watermark = _max - Windowing.MaxOutOfOrderMs;
        if (watermark > _watermark)
        {
            _watermark = watermark;
            Fire(watermark);
        }
    }

    private void Add(int page, long ts)
    {
        var start = Windowing.Floor(ts, Hop);
        if (start + Size <= _firedThrough)
        {
            Late++;
            return;
        }

        var slice = _ring[(int)(start / Hop) & 7];
        if (slice.Start != start)
        {
            if (slice.Start != PageCounts.Empty)
            {
                throw new InvalidOperationException("More than eight one-minute slices live at once.");
            }

            slice.Start = start;
        }

        slice.Add(page);
    }

    private void Fire(long watermark)
    {
        long first = long.MaxValue, last = long.MinValue;
        foreach (var slice in _ring)
        {
            if (slice.Start != PageCounts.Empty)
            {
                first = Math.Min(first, slice.Start);
                last = Math.Max(last, slice.Start);
            }
        }

        if (first != long.MaxValue)
        {
            // Window ends that cover some slice, from the first not yet fired.
            var end = _firedThrough == long.MinValue ? first + Hop : Math.Max(first + Hop, _firedThrough + Hop);
            for (; end <= last + Size && end <= watermark; end += Hop)
            {
                FireWindow(end - Size, end);
            }
        }

        _firedThrough = watermark == long.MaxValue ? long.MaxValue : Windowing.Floor(watermark, Hop);
        foreach (var slice in _ring)
        {
            if (slice.Start != PageCounts.Empty && (watermark == long.MaxValue || slice.Start + Size <= watermark))
            {
                slice.Clear();
            }
        }
    }

    private void FireWindow(long start, long end)
    {
        var merged = _merged;
        foreach (var slice in _ring)
        {
            if (slice.Start != PageCounts.Empty && slice.Start >= start && slice.Start < end)
            {
                var counts = slice.Counts;
                foreach (var page in slice.Touched.AsSpan(0, slice.TouchedCount))
                {
                    merged.Add(page, counts[page]);
                }
            }
        }

        foreach (var page in merged.Touched.AsSpan(0, merged.TouchedCount))
        {
            _results.Add(start, end, page, merged.Counts[page]);
        }

        merged.Clear();
    }
}

/// <summary>
/// Q4 by hand: events per user session (30 min gap). Sessions live in one array linked per user from a dense
/// per-user head array; a min-heap of session ends, refreshed lazily when an extended session comes due, closes them.
/// </summary>
public sealed class HandSessions(ClickData data) : BatchedVariant(data)
{
    private const long Gap = Windowing.SessionGapMs;
    private const int None = -1;
    private int[] _head = NewHeads(data.Users);
    private Session[] _sessions = new Session[1024];
    private int _used;
    private int _free = None;
    private (long At, int Slot, int Generation)[] _heap = new (long, int, int)[1024];
    private int _heapCount;
    private ResultChecksum _results;
    private long _max = long.MinValue;
    private long _watermark = long.MinValue;

    /// <summary>Events dropped as late.</summary>
    public long Late { get; private set; }

    /// <inheritdoc />
    public override ResultChecksum Finish()
    {
        CloseDue(long.MaxValue);
        return _results;
    }

    /// <inheritdoc />
    protected override void OnBatch(Span<ClickEvent> batch)
    {
        var max = long.MinValue;
        foreach (ref readonly var e in batch)
        {
            max = Math.Max(max, e.Ts);
            Add(e.UserId, e.Ts);
        }

        _max = Math.Max(_max, max);
        var watermark = _max - Windowing.MaxOutOfOrderMs;
        if (watermark > _watermark)
        {
            _watermark = watermark;
            CloseDue(watermark);
        }
    }

    private void Add(int user, long ts)
    {
        if ((uint)user >= (uint)_head.Length)
        {
            var grown = NewHeads(Math.Max(user + 1, _head.Length * 2));
            _head.CopyTo(grown, 0);
            _head = grown;
        }

        ref var head = ref _head[user];
        var target = None;
        var previous = None;
        for (var slot = head; slot != None;)
        {
            ref var session = ref _sessions[slot];
            var next = session.Next;
            if (ts > session.Start - Gap && ts < session.Last + Gap)
            {
                if (target == None)
                {
                    target = slot;
                    previous = slot;
                }
                else
                {
                    // The event bridges two sessions: merge this one into the first.
                    ref var into = ref _sessions[target];
                    into.Start = Math.Min(into.Start, session.Start);
                    into.Last = Math.Max(into.Last, session.Last);
                    into.Count += session.Count;
                    Unlink(ref head, previous, slot);
                    Free(slot);
                }
            }
            else
            {
                previous = slot;
            }

            slot = next;
        }

        if (target == None)
        {
            if (ts + Gap <= _watermark)
            {
                Late++;
                return;
            }

            target = Allocate();
            ref var created = ref _sessions[target];
            created.Start = ts;
            created.Last = ts;
            created.User = user;
            created.Next = head;
            head = target;
            Push(ts + Gap, target);
        }

        ref var s = ref _sessions[target];
        s.Start = Math.Min(s.Start, ts);
        s.Last = Math.Max(s.Last, ts);
        s.Count++;
    }

    private void CloseDue(long watermark)
    {
        while (_heapCount > 0 && _heap[0].At <= watermark)
        {
            var (at, slot, generation) = Pop();
            ref var session = ref _sessions[slot];
            if (session.Free || session.Generation != generation)
            {
                continue;
            }

            var end = session.Last + Gap;
            if (end > at)
            {
                Push(end, slot); // extended since it was pushed
                continue;
            }

            _results.Add(session.Start, end, session.User, session.Count);
            ref var head = ref _head[session.User];
            var previous = None;
            for (var s = head; s != slot; s = _sessions[s].Next)
            {
                previous = s;
            }

            Unlink(ref head, previous, slot);
            Free(slot);
        }
    }

    private void Unlink(ref int head, int previous, int slot)
    {
        if (previous == None)
        {
            head = _sessions[slot].Next;
        }
        else
        {
            _sessions[previous].Next = _sessions[slot].Next;
        }
    }

    private int Allocate()
    {
        int slot;
        if (_free != None)
        {
            slot = _free;
            _free = _sessions[slot].Next;
        }
        else
        {
            if (_used == _sessions.Length)
            {
                Array.Resize(ref _sessions, _used * 2);
            }

            slot = _used++;
        }

        ref var session = ref _sessions[slot];
        session = new Session { Generation = session.Generation };
        return slot;
    }

    private void Free(int slot)
    {
        ref var session = ref _sessions[slot];
        session.Free = true;
        session.Generation++;
        session.Next = _free;
        _free = slot;
    }

    private void Push(long at, int slot)
    {
        if (_heapCount == _heap.Length)
        {
            Array.Resize(ref _heap, _heapCount * 2);
        }

        var generation = _sessions[slot].Generation;
        var i = _heapCount++;
        while (i > 0)
        {
            var parent = (i - 1) >> 1;
            if (_heap[parent].At <= at)
            {
                break;
            }

            _heap[i] = _heap[parent];
            i = parent;
        }

        _heap[i] = (at, slot, generation);
    }

    private (long At, int Slot, int Generation) Pop()
    {
        var top = _heap[0];
        var last = _heap[--_heapCount];
        var i = 0;
        while (true)
        {
            var child = (2 * i) + 1;
            if (child >= _heapCount)
            {
                break;
            }

            if (child + 1 < _heapCount && _heap[child + 1].At < _heap[child].At)
            {
                child++;
            }

            if (last.At <= _heap[child].At)
            {
                break;
            }

            _heap[i] = _heap[child];
            i = child;
        }

        if (_heapCount > 0)
        {
            _heap[i] = last;
        }

        return top;
    }

    private static int[] NewHeads(int size)
    {
        var heads = new int[size];
        heads.AsSpan().Fill(None);
        return heads;
    }

    private struct Session
    {
        public long Start;
        public long Last;
        public long Count;
        public int User;
        public int Next;
        public int Generation;
        public bool Free;
    }
}

/// <summary>
/// Q5 by hand: split JSON lines, read the six fields with a <see cref="Utf8JsonReader"/> loop written for this one
/// schema (property names matched by length and bytes, the country packed from its two bytes, no interning), then
/// the hand-written Q2 on the result.
/// </summary>
public sealed class HandJsonTumbling(ClickData data) : QueryVariant(data)
{
    private readonly HandTumbling _tumbling = new(data);
    private long _offset;

    /// <summary>Lines rejected.</summary>
    public long Rejected { get; private set; }

    /// <inheritdoc />
    public override void Invoke()
    {
        ReadOnlySpan<byte> input = Data.JsonLines;
        var offset = _offset;
        var inBatch = 0;
        var batchMax = long.MinValue;
        while (!input.IsEmpty)
        {
            var newline = input.IndexOf((byte)'\n');
            var line = newline < 0 ? input : input[..newline];
            input = newline < 0 ? default : input[(newline + 1)..];
            if (TryParse(line, out var e))
            {
                var ts = e.Ts + offset;
                batchMax = Math.Max(batchMax, ts);
                if (e.EventType == EventType.View)
                {
                    _tumbling.AddView(e.PageId, ts);
                }

                if (++inBatch == Feed.BatchSize)
                {
                    _tumbling.EndBatch(batchMax);
                    inBatch = 0;
                    batchMax = long.MinValue;
                }
            }
            else
            {
                Rejected++;
            }
        }

        if (inBatch > 0)
        {
            _tumbling.EndBatch(batchMax);
        }

        _offset += Data.PeriodMs;
    }

    /// <inheritdoc />
    public override ResultChecksum Finish() => _tumbling.Finish();

    private static bool TryParse(ReadOnlySpan<byte> line, out ClickEvent e)
    {
        e = default;
        return HandDecoders.JsonLines.TryParse(line, ref e, internCountry: false);
    }
}
