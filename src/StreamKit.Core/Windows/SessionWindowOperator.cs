using System.Diagnostics.CodeAnalysis;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using StreamKit.Aggregates;
using StreamKit.Operators;
using StreamKit.State;

namespace StreamKit.Windows;

/// <summary>
/// Gap-based session windows per key. Sessions live in a pooled array linked per key, found through a hash index of
/// each key's first session; a lazy queue of session ends (<see cref="SessionDueQueue"/>) decides which close when
/// the watermark moves.
/// </summary>
/// <remarks>
/// An event joins every session of its key it is within the gap of, merging them (so an out-of-order event can
/// bridge two sessions). A session <c>[first, last + gap)</c> fires when the watermark reaches its end. Extending a
/// session does not touch the queue: when its old entry comes due the session is queued again with its new end, so
/// the queue sees about one push per session rather than one per event. An entry names a slot, not a session: one
/// left behind by a session since merged away or removed is skipped if the slot is free, and otherwise can only meet
/// a session opened in that slot later, whose own fire entry is at or before its end and so leaves first; the
/// entry then finds that session fired (skipped), ending at the entry's time (fired, as its own entry would at the
/// same time), or ending later (queued again at its end, as its own entry would be).
/// <para>
/// The index holds slot numbers (open addressing, load at most ½) and compares keys in the sessions themselves,
/// so an event's lookup touches two cache lines, its index slot and its session, where a key-to-slot table touched
/// four (slot, key, value, session). Each entry also holds a 3-bit tag of its key's hash, so a probe past another
/// key reads that key's session only one time in eight, and its distance from its home position, so deleting by
/// backward shift does not read the keys of the entries it moves. At most 2²⁶ − 1 sessions are open at once. Per
/// open session (int key, long count): 8 B of index (16 B just after it doubles), a 32-byte session (the next slot
/// and the three flags share a word) and an 8-byte queue entry, 48 B with every array full.
/// </para>
/// <para>
/// State version 3 stores the 32-byte sessions and the queue as <see cref="SessionDueQueue"/> writes it, and rebuilds
/// the index from the sessions on restore. Versions 1 and 2 stored 40-byte sessions with a generation and queue
/// entries with the generation their slot had when queued (version 2: a ring and a heap of 16-byte entries; version
/// 1: a heap of 24-byte entries and a key-to-slot table); they are still read, dropping entries of a generation gone.
/// </para>
/// </remarks>
internal sealed class SessionWindowOperator<T, TKey, TKeySelector, TAcc, TResult, TAggregator> : BatchOperator<T>
    where TKey : unmanaged, IEquatable<TKey>
    where TKeySelector : struct, ISelector<T, TKey>
    where TAcc : unmanaged
    where TAggregator : struct, IAggregator<T, TAcc, TResult>
{
    private const int StateVersion = 3;
    private const int None = -1;

    // An index entry: the slot + 1 in the low 26 bits (so at most MaxSessions slots), the entry's distance from its
    // home position in the next 3, 7 meaning 7 or more (the backward shift reads a key only then), and in the top 3 a
    // tag, bits 29-31 of the key's hash product, which the home position (bits 33 and up) does not use: a probe reads
    // a session's key only when the tags match, 1 in 8 of the other keys.
    private const int MaxSessions = (1 << 26) - 1;
    private const uint SlotMask = MaxSessions;
    private const int DisplacementShift = 26;
    private const int MaxDisplacement = 7;
    private const uint TagMask = 7u << 29;
    private readonly long _gap;
    private readonly TKeySelector _keySelector;
    private readonly TAggregator _aggregator;
    private readonly WindowSettings<T> _settings;
    private readonly BatchOperator<WindowResult<TKey, TResult>> _next;
    private readonly OutputBuffer<WindowResult<TKey, TResult>> _output = new();
    private readonly LateEvents<T> _late;
    private uint[] _index; // open addressing: a key's first session slot + 1, its hash tag and displacement; 0 when empty
    private int _indexCount;
    private int _indexShift;
    private Session[] _sessions;
    private int _used; // slots ever handed out
    private int _free = None; // free list through Session.Next
    private readonly SessionDueQueue _due;
    private long _watermark = long.MinValue;

    public SessionWindowOperator(
        WindowSpec spec,
        TKeySelector keySelector,
        TAggregator aggregator,
        WindowSettings<T> settings,
        BatchOperator<WindowResult<TKey, TResult>> next)
    {
        _gap = spec.GapMs;
        _keySelector = keySelector;
        _aggregator = aggregator;
        _settings = settings;
        _next = next;
        _late = new LateEvents<T>(settings);
        var capacity = Math.Max(settings.ExpectedKeys, 64);
        _index = new uint[IndexSize(capacity)];
        _indexShift = 64 - BitOperations.Log2((uint)_index.Length);
        _sessions = new Session[capacity];
        _due = new SessionDueQueue(capacity);
    }

    /// <summary>Bytes held by the operator's arrays: index, sessions and queue (for tests).</summary>
    internal long ArrayBytes => ((long)_index.Length * sizeof(uint)) + ((long)_sessions.Length * Unsafe.SizeOf<Session>()) + _due.ArrayBytes;

    public override void OnBatch(Span<T> items, Span<long> timestamps)
    {
        for (var i = 0; i < items.Length; i++)
        {
            Add(items[i], timestamps[i]);
        }

        _output.FlushTo(_next);
        _late.Flush();
    }

    public override bool ReadsTimestamps => true;

    public override void OnWatermark(long watermark)
    {
        if (watermark <= _watermark)
        {
            return;
        }

        _watermark = watermark;
        CloseDue(watermark);
        _output.FlushTo(_next);
        _next.OnWatermark(watermark);
    }

    public override void OnCompleted()
    {
        _watermark = long.MaxValue;
        CloseDue(long.MaxValue);
        _output.FlushTo(_next);
        _next.OnCompleted();
    }

    public override void WriteState(StateWriter writer)
    {
        writer.WriteInt32(StateVersion);
        writer.WriteInt64(_gap);
        writer.WriteInt64(_watermark);
        writer.WriteInt32(_free);
        writer.WriteSpan<Session>(_sessions.AsSpan(0, _used));
        _due.WriteState(writer);
        _next.WriteState(writer);
    }

    public override void Describe(List<KeyValuePair<string, string>> definition)
    {
        SnapshotFormat.AddWindowStage(
            definition,
            ("window", "session, gap " + SnapshotFormat.Milliseconds(_gap)),
            ("window late events", _settings.LatePolicyDescription),
            ("window key", SnapshotFormat.LayoutName<TKey>(typeof(T))),
            ("window aggregate", SnapshotFormat.TypeName(typeof(TAggregator), typeof(T))),
            ("window accumulator", SnapshotFormat.LayoutName<TAcc>(typeof(T))));
        _next.Describe(definition);
    }

    public override void ReadState(ref StateReader reader)
    {
        var version = reader.ReadInt32();
        if (version is not (1 or 2 or StateVersion))
        {
            throw new InvalidDataException($"State snapshot does not match this pipeline: session state version is {version}, expected 1 to {StateVersion}.");
        }

        if (reader.ReadInt64() != _gap)
        {
            throw new InvalidDataException("State snapshot was written by a pipeline with a different session gap.");
        }

        _watermark = reader.ReadInt64();
        _free = reader.ReadInt32();
        if (version == StateVersion)
        {
            _sessions = reader.ReadArray<Session>();
            _due.ReadState(ref reader);
        }
        else
        {
            ReadSessionsV2(ref reader, version);
        }

        _used = _sessions.Length;
        if (_sessions.Length == 0)
        {
            _sessions = new Session[64];
        }

        RebuildIndex();
        _next.ReadState(ref reader);
    }

    /// <summary>Reads the sessions and queue of state versions 1 and 2, dropping queue entries of a generation since gone.</summary>
    private void ReadSessionsV2(ref StateReader reader, int version)
    {
        var old = reader.ReadArray<SessionV2>();
        _sessions = new Session[old.Length];
        for (var slot = 0; slot < old.Length; slot++)
        {
            ref readonly var from = ref old[slot];
            ref var to = ref _sessions[slot];
            to.Key = from.Key;
            to.Start = from.Start;
            to.Last = from.Last;
            to.Acc = from.Acc;
            to.Next = from.Next;
            to.Fired = from.Fired;
            to.Emitted = from.Emitted;
            to.Free = from.Free;
        }

        if (version == 1)
        {
            _due.Clear();
            foreach (var due in reader.ReadArray<DueV1>())
            {
                if (Current(old, due.Slot, due.Generation))
                {
                    _due.Push(new SessionDue(due.At, due.Kind == DueKind.Fire ? due.Slot : ~due.Slot));
                }
            }

            // The key-to-first-slot table: the sessions say the same (below).
            reader.ReadArray<TKey>();
            reader.ReadArray<int>();
        }
        else
        {
            _due.Restore(Current(old, reader.ReadArray<DueV2>()), Current(old, reader.ReadArray<DueV2>()));
        }
    }

    private static SessionDue[] Current(SessionV2[] sessions, DueV2[] entries) =>
        [.. entries.Where(due => Current(sessions, due.Slot >= 0 ? due.Slot : ~due.Slot, due.Generation)).Select(static due => new SessionDue(due.At, due.Slot))];

    private static bool Current(SessionV2[] sessions, int slot, int generation) =>
        (uint)slot < (uint)sessions.Length && sessions[slot].Generation == generation && !sessions[slot].Free;

    private void Add(in T item, long time)
    {
        var key = _keySelector.Invoke(item);
        var position = Find(key, out var entry);
        var first = First(entry);
        if (first != None)
        {
            // Nearly every event extends its key's only session, open: the loop below would do just this.
            ref var only = ref _sessions[first];
            if (only.IsOnlyAndOpen && time > only.Start - _gap && time < only.Last + _gap)
            {
                only.Start = Math.Min(only.Start, time);
                only.Last = Math.Max(only.Last, time);
                _aggregator.Add(ref only.Acc, item);
                return;
            }
        }

        var head = first;

        // Find the sessions this event touches; merge every further one into the first.
        var target = None;
        var previous = None;
        var allFired = true;
        for (var slot = head; slot != None;)
        {
            ref var session = ref _sessions[slot];
            var nextSlot = session.Next;
            if (time > session.Start - _gap && time < session.Last + _gap)
            {
                allFired &= session.Fired;
                if (target == None)
                {
                    target = slot;
                    previous = slot;
                }
                else
                {
                    ref var into = ref _sessions[target];
                    into.Start = Math.Min(into.Start, session.Start);
                    into.Last = Math.Max(into.Last, session.Last);
                    into.Emitted |= session.Emitted;
                    _aggregator.Merge(ref into.Acc, session.Acc);
                    Unlink(ref head, previous, slot);
                    Free(slot);
                }
            }
            else
            {
                previous = slot;
            }

            slot = nextSlot;
        }

        if (target == None)
        {
            if (time + _gap <= _watermark)
            {
                // Its own session would already be closed and no kept session can take it.
                _late.Reject(item, time);
                return;
            }

            target = Allocate();
            ref var created = ref _sessions[target];
            created.Key = key;
            created.Start = time;
            created.Last = time;
            created.Next = head;
            _aggregator.Reset(ref created.Acc);
            head = target;
            Push(time + _gap, target, DueKind.Fire);
        }

        if (head != first)
        {
            SetFirst(position, key, head);
        }

        ref var s = ref _sessions[target];
        s.Start = Math.Min(s.Start, time);
        s.Last = Math.Max(s.Last, time);
        _aggregator.Add(ref s.Acc, item);
        if (s.Fired)
        {
            // Only the update policy keeps fired sessions. Still closed: emit the update now; reopened by the new
            // event (or by an open session merged in): it fires again, as an update, when the watermark passes its
            // new end. The event is late only if every session it touched had fired.
            if (allFired)
            {
                _settings.Counters.LateEvents++;
            }

            if (s.Last + _gap <= _watermark)
            {
                Emit(ref s);
            }
            else
            {
                s.Fired = false;
                Push(s.Last + _gap, target, DueKind.Fire);
            }
        }
    }

    private void CloseDue(long watermark)
    {
        var retention = _settings.RetentionMs;
        while (_due.TryPop(watermark, out var due))
        {
            var fire = due.Slot >= 0;
            var slot = fire ? due.Slot : ~due.Slot;
            ref var session = ref _sessions[slot];
            if (session.Free)
            {
                continue; // left behind by a session merged away or removed (an entry met by a later session: above)
            }

            var end = session.Last + _gap;
            if (fire)
            {
                if (session.Fired)
                {
                    continue;
                }

                if (end > due.At)
                {
                    Push(end, slot, DueKind.Fire); // extended since it was pushed
                    continue;
                }

                Emit(ref session);
                if (retention > 0 && watermark != long.MaxValue)
                {
                    session.Fired = true;
                    Push(end + retention, slot, DueKind.Purge);
                    continue;
                }
            }
            else if (!session.Fired)
            {
                continue; // reopened by a late update: its fire entry covers it
            }
            else if (end + retention > due.At)
            {
                Push(end + retention, slot, DueKind.Purge); // extended by a late update while kept
                continue;
            }

            Remove(slot);
        }
    }

    private void Emit(ref Session session)
    {
        var end = session.Last + _gap;
        _output.Add(new WindowResult<TKey, TResult>(session.Start, end, session.Key, _aggregator.GetResult(session.Acc), session.Emitted), end - 1);
        session.Emitted = true;
        _settings.Counters.WindowsFired++;
    }

    private void Remove(int slot)
    {
        var key = _sessions[slot].Key;
        var position = Find(key, out var entry);
        var first = First(entry);
        var head = first;
        var previous = None;
        for (var s = head; s != slot; s = _sessions[s].Next)
        {
            previous = s;
        }

        Unlink(ref head, previous, slot);
        Free(slot);
        if (head != first)
        {
            SetFirst(position, key, head);
        }
    }

    /// <summary>
    /// The index position holding <paramref name="key"/>'s first session, or the empty one where it would go, and the
    /// <paramref name="entry"/> there (0 when empty).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private int Find(in TKey key, out uint entry)
    {
        var mask = _index.Length - 1;
        var hash = Hash(key);
        var position = (int)(hash >> _indexShift);
        var tag = (uint)hash & TagMask;
        while (true)
        {
            entry = _index[position];
            if (entry == 0 || ((entry & TagMask) == tag && _sessions[First(entry)].Key.Equals(key)))
            {
                return position;
            }

            position = (position + 1) & mask;
        }
    }

    /// <summary>Points <paramref name="key"/>'s index position (from <see cref="Find"/>) at <paramref name="slot"/>; <see cref="None"/> removes the key.</summary>
    private void SetFirst(int position, in TKey key, int slot)
    {
        var entry = _index[position];
        if (entry != 0)
        {
            if (slot == None)
            {
                RemoveAt(position);
            }
            else
            {
                _index[position] = (entry & ~SlotMask) | (uint)(slot + 1);
            }

            return;
        }

        if (2 * (_indexCount + 1) > _index.Length)
        {
            GrowIndex();
            position = Find(key, out _);
        }

        _index[position] = Entry(key, position, slot);
        _indexCount++;
    }

    private void RemoveAt(int hole)
    {
        // Backward-shift deletion: pull later members of the probe run into the hole when their home allows, so no
        // tombstones build up. The entries' displacements say where their homes are without reading their keys.
        var mask = _index.Length - 1;
        _index[hole] = 0;
        _indexCount--;
        uint entry;
        for (var position = (hole + 1) & mask; (entry = _index[position]) != 0; position = (position + 1) & mask)
        {
            var displacement = (int)(entry >> DisplacementShift) & MaxDisplacement;
            if (displacement == MaxDisplacement)
            {
                displacement = (position - (int)(Hash(_sessions[First(entry)].Key) >> _indexShift)) & mask;
            }

            var distance = (position - hole) & mask;
            if (displacement >= distance)
            {
                _index[hole] = WithDisplacement(entry, displacement - distance);
                _index[position] = 0;
                hole = position;
            }
        }
    }

    private void GrowIndex()
    {
        var old = _index;
        _index = new uint[old.Length * 2];
        _indexShift = 64 - BitOperations.Log2((uint)_index.Length);
        foreach (var entry in old)
        {
            if (entry != 0)
            {
                var slot = First(entry);
                ref readonly var key = ref _sessions[slot].Key;
                var position = Find(key, out _);
                _index[position] = Entry(key, position, slot);
            }
        }
    }

    /// <summary>Indexes every key's first session: each live session no other live session links to.</summary>
    private void RebuildIndex()
    {
        if (_used > MaxSessions)
        {
            throw new InvalidDataException($"Corrupt state snapshot: {_used} session slots, more than {MaxSessions}.");
        }

        var linked = new bool[_used];
        for (var slot = 0; slot < _used; slot++)
        {
            ref var session = ref _sessions[slot];
            if (!session.Free && session.Next != None)
            {
                linked[session.Next] = true;
            }
        }

        _index = new uint[IndexSize(_used)];
        _indexShift = 64 - BitOperations.Log2((uint)_index.Length);
        _indexCount = 0;
        for (var slot = 0; slot < _used; slot++)
        {
            if (!_sessions[slot].Free && !linked[slot])
            {
                ref readonly var key = ref _sessions[slot].Key;
                var position = Find(key, out _);
                if (_index[position] != 0)
                {
                    throw new InvalidDataException("Corrupt state snapshot: two session lists for one key.");
                }

                _index[position] = Entry(key, position, slot);
                _indexCount++;
            }
        }
    }

    private static int IndexSize(int keys) => 2 * (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(keys, 32, KeyedTable<TKey, int>.MaxCapacity));

    /// <summary>The slot an index entry names (<see cref="None"/> for an empty entry).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int First(uint entry) => (int)(entry & SlotMask) - 1;

    /// <summary>
    /// The key's hash product, whose top bits are its home position in the index: Fibonacci hashing, as KeyedTable,
    /// since keys are often small dense integers, which the top bits of this product spread well.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Hash(in TKey key) => (ulong)(uint)key.GetHashCode() * 0x9E3779B97F4A7C15UL;

    /// <summary>The index entry for <paramref name="slot"/>, holding <paramref name="key"/> at <paramref name="position"/>.</summary>
    private uint Entry(in TKey key, int position, int slot)
    {
        var hash = Hash(key);
        var displacement = (position - (int)(hash >> _indexShift)) & (_index.Length - 1);
        return WithDisplacement((uint)(slot + 1) | ((uint)hash & TagMask), displacement);
    }

    private static uint WithDisplacement(uint entry, int displacement) =>
        (entry & ~((uint)MaxDisplacement << DisplacementShift)) | ((uint)Math.Min(displacement, MaxDisplacement) << DisplacementShift);

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
                if (_used == MaxSessions)
                {
                    ThrowTooManySessions();
                }

                Array.Resize(ref _sessions, (int)Math.Min(_used * 2L, MaxSessions));
            }

            slot = _used++;
        }

        _sessions[slot] = default;
        return slot;
    }

    private void Free(int slot)
    {
        ref var session = ref _sessions[slot];
        session.Free = true;
        session.Next = _free;
        _free = slot;
    }

    private void Push(long at, int slot, DueKind kind) =>
        _due.Push(new SessionDue(at, kind == DueKind.Fire ? slot : ~slot));

    [DoesNotReturn]
    private static void ThrowTooManySessions() =>
        throw new InvalidOperationException($"A session window holds at most {MaxSessions} open sessions.");

    /// <summary>One session: 32 bytes with an int key and a long accumulator.</summary>
    [StructLayout(LayoutKind.Auto)]
    private struct Session
    {
        private const uint NextMask = (1u << 29) - 1;
        private const uint FiredBit = 1u << 29;
        private const uint EmittedBit = 1u << 30;
        private const uint FreeBit = 1u << 31;
        public TKey Key;
        public long Start;
        public long Last;
        public TAcc Acc;
        private uint _word; // the next slot + 1 (0: none) in the low 29 bits, then the flags

        /// <summary>The key's next session slot, or the next free slot of a free one; <see cref="None"/> at the end.</summary>
        public int Next
        {
            readonly get => (int)(_word & NextMask) - 1;
            set => _word = (_word & ~NextMask) | (uint)(value + 1);
        }

        /// <summary>Not fired, and no further session of its key follows (one test of the word, for the fast path of <see cref="Add"/>).</summary>
        public readonly bool IsOnlyAndOpen => (_word & (NextMask | FiredBit)) == 0;

        /// <summary>Fired and kept for late updates (update policy).</summary>
        public bool Fired
        {
            readonly get => (_word & FiredBit) != 0;
            set => Set(FiredBit, value);
        }

        /// <summary>Has emitted a result, so any further one is an update.</summary>
        public bool Emitted
        {
            readonly get => (_word & EmittedBit) != 0;
            set => Set(EmittedBit, value);
        }

        /// <summary>On the free list.</summary>
        public bool Free
        {
            readonly get => (_word & FreeBit) != 0;
            set => Set(FreeBit, value);
        }

        private void Set(uint bit, bool value) => _word = value ? _word | bit : _word & ~bit;
    }

    /// <summary>A session as state versions 1 and 2 stored it (40 bytes with an int key and a long accumulator), read only to restore them.</summary>
    [StructLayout(LayoutKind.Auto)]
    private struct SessionV2
    {
        public TKey Key;
        public long Start;
        public long Last;
        public TAcc Acc;
        public int Next;
        public int Generation;
        public bool Fired;
        public bool Emitted;
        public bool Free;
    }

    private enum DueKind : byte
    {
        Fire,
        Purge,
    }

    /// <summary>A queue entry as state version 1 stored it (24 bytes), read only to restore that version.</summary>
    private readonly record struct DueV1(long At, int Slot, int Generation, DueKind Kind);

    /// <summary>A queue entry as state version 2 stored it (16 bytes; <c>~slot</c> for a purge), read only to restore that version.</summary>
    private readonly record struct DueV2(long At, int Slot, int Generation);
}
