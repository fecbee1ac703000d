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
/// Q4 by hand: events per user session (30 min gap). Each user's latest session lives in a dense per-user array
/// (user ids are dense); session ends are queued in a FIFO ring that stays sorted because sessions start nearly in
/// time order, with a small min-heap for the few ends queued out of order. Entries are checked when they come due:
/// a session extended since then is queued again at its new end, so there is about one push per session.
/// </summary>
/// <remarks>
/// A user's older session can still be open when a newer one starts (its end is at most a batch and the 5 s
/// out-of-orderness behind); it moves to a small side pool, where an out-of-order event can still join it or bridge
/// it with the newer one. In this data set that happens to a few sessions per million events.
/// </remarks>
public sealed class HandSessions(ClickData data) : BatchedVariant(data)
{
    private const long Gap = Windowing.SessionGapMs;
    private const int None = 0; // older-pool slot 0 is never used, so zeroed user records need no fill
    private UserSession[] _users = new UserSession[data.Users];
    private OlderSession[] _older = new OlderSession[16];
    private int _olderUsed = 1;
    private int _olderFree = None;
    private (long At, int Id)[] _ring = new (long, int)[1024]; // Id: a user (their latest session) or ~slot in _older
    private int _ringHead;
    private int _ringCount;
    private (long At, int Id)[] _heap = new (long, int)[64];
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
        if ((uint)user >= (uint)_users.Length)
        {
            Array.Resize(ref _users, Math.Max(user + 1, _users.Length * 2));
        }

        ref var u = ref _users[user];
        if (u.Older == None)
        {
            if (u.Count == 0)
            {
                if (ts + Gap <= _watermark)
                {
                    Late++;
                    return;
                }

                u.Start = ts;
                u.Last = ts;
                u.Count = 1;
                u.Due = ts + Gap;
                Push(u.Due, user);
                return;
            }

            if (ts > u.Start - Gap && ts < u.Last + Gap)
            {
                u.Start = Math.Min(u.Start, ts);
                u.Last = Math.Max(u.Last, ts);
                u.Count++;
                return;
            }
        }

        AddSlow(user, ts);
    }

    // The event may join, or bridge, the latest session and older ones still open; everything it touches merges
    // into the latest session if it touches that, else into the first older one it touches.
    private void AddSlow(int user, long ts)
    {
        ref var u = ref _users[user];
        var joinsLatest = u.Count != 0 && ts > u.Start - Gap && ts < u.Last + Gap;
        var target = None;
        var previous = None;
        for (var slot = u.Older; slot != None;)
        {
            ref var o = ref _older[slot];
            var next = o.Next;
            if (ts > o.Start - Gap && ts < o.Last + Gap)
            {
                if (joinsLatest)
                {
                    u.Start = Math.Min(u.Start, o.Start);
                    u.Last = Math.Max(u.Last, o.Last);
                    u.Count += o.Count;
                    UnlinkOlder(ref u, previous, slot);
                    slot = next;
                    continue;
                }

                if (target == None)
                {
                    target = slot;
                    previous = slot;
                }
                else
                {
                    ref var into = ref _older[target];
                    into.Start = Math.Min(into.Start, o.Start);
                    into.Last = Math.Max(into.Last, o.Last);
                    into.Count += o.Count;
                    UnlinkOlder(ref u, previous, slot);
                }
            }
            else
            {
                previous = slot;
            }

            slot = next;
        }

        if (joinsLatest)
        {
            u.Start = Math.Min(u.Start, ts);
            u.Last = Math.Max(u.Last, ts);
            u.Count++;
        }
        else if (target != None)
        {
            ref var o = ref _older[target];
            o.Start = Math.Min(o.Start, ts);
            o.Last = Math.Max(o.Last, ts);
            o.Count++;
        }
        else if (ts + Gap <= _watermark)
        {
            Late++;
        }
        else
        {
            if (u.Count != 0)
            {
                // A new session while the latest is still open: the latest moves to the pool with an entry of its own.
                var slot = AllocateOlder();
                ref var o = ref _older[slot];
                o = new OlderSession { Start = u.Start, Last = u.Last, Count = u.Count, Due = u.Last + Gap, User = user, Next = u.Older };
                u.Older = slot;
                Push(o.Due, ~slot);
            }

            u.Start = ts;
            u.Last = ts;
            u.Count = 1;
            u.Due = ts + Gap;
            Push(u.Due, user);
        }
    }

    private void CloseDue(long watermark)
    {
        while (true)
        {
            long at;
            int id;
            if (_ringCount > 0 && (_heapCount == 0 || _ring[_ringHead].At <= _heap[0].At))
            {
                (at, id) = _ring[_ringHead];
                if (at > watermark)
                {
                    return;
                }

                _ringHead = (_ringHead + 1) & (_ring.Length - 1);
                _ringCount--;
            }
            else if (_heapCount > 0 && _heap[0].At <= watermark)
            {
                (at, id) = PopHeap();
            }
            else
            {
                return;
            }

            if (id >= 0)
            {
                ref var u = ref _users[id];
                if (u.Count == 0 || u.Due != at)
                {
                    continue; // fired, or a session queued at another end
                }

                var end = u.Last + Gap;
                if (end > watermark)
                {
                    u.Due = end; // extended since it was queued
                    Push(end, id);
                    continue;
                }

                _results.Add(u.Start, end, id, u.Count);
                u.Count = 0;
            }
            else
            {
                var slot = ~id;
                ref var o = ref _older[slot];
                if (o.Count == 0 || o.Due != at)
                {
                    continue;
                }

                var end = o.Last + Gap;
                if (end > watermark)
                {
                    o.Due = end;
                    Push(end, id);
                    continue;
                }

                _results.Add(o.Start, end, o.User, o.Count);
                ref var u = ref _users[o.User];
                var previous = None;
                for (var s = u.Older; s != slot; s = _older[s].Next)
                {
                    previous = s;
                }

                UnlinkOlder(ref u, previous, slot);
            }
        }
    }

    private void UnlinkOlder(ref UserSession u, int previous, int slot)
    {
        ref var o = ref _older[slot];
        if (previous == None)
        {
            u.Older = o.Next;
        }
        else
        {
            _older[previous].Next = o.Next;
        }

        o.Count = 0;
        o.Next = _olderFree;
        _olderFree = slot;
    }

    private int AllocateOlder()
    {
        if (_olderFree != None)
        {
            var slot = _olderFree;
            _olderFree = _older[slot].Next;
            return slot;
        }

        if (_olderUsed == _older.Length)
        {
            Array.Resize(ref _older, _olderUsed * 2);
        }

        return _olderUsed++;
    }

    private void Push(long at, int id)
    {
        if (_ringCount == 0 || at >= _ring[(_ringHead + _ringCount - 1) & (_ring.Length - 1)].At)
        {
            if (_ringCount == _ring.Length)
            {
                GrowRing();
            }

            _ring[(_ringHead + _ringCount++) & (_ring.Length - 1)] = (at, id);
            return;
        }

        if (_heapCount == _heap.Length)
        {
            Array.Resize(ref _heap, _heapCount * 2);
        }

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

        _heap[i] = (at, id);
    }

    private void GrowRing()
    {
        var grown = new (long, int)[_ring.Length * 2];
        for (var i = 0; i < _ringCount; i++)
        {
            grown[i] = _ring[(_ringHead + i) & (_ring.Length - 1)];
        }

        _ring = grown;
        _ringHead = 0;
    }

    private (long At, int Id) PopHeap()
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

    // 32 B, two users per cache line. Due is the end the session's live queue entry was pushed at: entries with
    // another time are stale (the session fired, or was queued again) and skipped.
    private struct UserSession
    {
        public long Start;
        public long Last;
        public long Due;
        public int Count;
        public int Older;
    }

    private struct OlderSession
    {
        public long Start;
        public long Last;
        public long Due;
        public int Count;
        public int User;
        public int Next;
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
