using System.Buffers;
using System.Text;
using CsCheck;
using StreamKit.Keys;
using StreamKit.State;

namespace StreamKit.Core.Tests.Keys;

public sealed class Utf8InternerTests
{
    [Fact]
    public void GetOrAdd_SameBytes_ReturnsSameIdInFirstSeenOrder()
    {
        var interner = new Utf8Interner();
        Assert.Equal(0, interner.GetOrAdd("de"u8));
        Assert.Equal(1, interner.GetOrAdd("fr"u8));
        Assert.Equal(0, interner.GetOrAdd("de"u8));
        Assert.Equal(2, interner.GetOrAdd(""u8));
        Assert.Equal(2, interner.GetOrAdd(""u8));
        Assert.Equal(3, interner.Count);
        Assert.Equal("fr", interner.GetString(1));
        Assert.True(interner.GetBytes(0).SequenceEqual("de"u8));
        Assert.False(interner.TryGet("es"u8, out var missing));
        Assert.Equal(-1, missing);
    }

    [Fact]
    public void GetOrAdd_ManyRandomStrings_IdsStableAcrossGrowth()
    {
        // A third of the strings repeat one seen before; one character in ten is Cyrillic (two UTF-8 bytes).
        var character = Gen.Frequency((9, Gen.Char['a', 'e']), (1, Gen.Char[(char)0x400, (char)0x4FE]));
        var texts = character.Array[0, 23].Select(static chars => new string(chars));
        var cases = Gen.Select(Gen.Int[0, 2], Gen.Int[0, int.MaxValue], texts).Array[2, 6000];
        cases.Sample(steps =>
        {
            var interner = new Utf8Interner();
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            var seen = new List<string>();
            foreach (var (roll, pick, fresh) in steps)
            {
                var repeat = seen.Count > 0 && roll == 0;
                var text = repeat ? seen[pick % seen.Count] : fresh;
                if (!repeat)
                {
                    seen.Add(text);
                }

                var bytes = Encoding.UTF8.GetBytes(text);
                var id = interner.GetOrAdd(bytes);
                if (ids.TryGetValue(text, out var known))
                {
                    Assert.Equal(known, id);
                }
                else
                {
                    Assert.Equal(ids.Count, id);
                    ids[text] = id;
                }
            }

            Assert.Equal(ids.Count, interner.Count);
            foreach (var (text, id) in ids)
            {
                Assert.True(interner.TryGet(Encoding.UTF8.GetBytes(text), out var found));
                Assert.Equal(id, found);
                Assert.Equal(text, interner.GetString(id));
            }
        }, iter: 100);
    }

    [Fact]
    public void ReadState_Snapshot_RestoresSameIdsAndContinuesNumbering()
    {
        var r = new Random(3);
        var interner = new Utf8Interner();
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new List<string>();
        for (var i = 0; i < 2000; i++)
        {
            var text = RandomText(r, seen);
            ids[text] = interner.GetOrAdd(Encoding.UTF8.GetBytes(text));
        }

        var buffer = new ArrayBufferWriter<byte>();
        interner.WriteState(new StateWriter(buffer));

        var restored = new Utf8Interner();
        restored.GetOrAdd("replaced by the snapshot"u8);
        var reader = new StateReader(buffer.WrittenSpan);
        restored.ReadState(ref reader);

        Assert.True(reader.IsEmpty);
        Assert.Equal(interner.Count, restored.Count);
        foreach (var (text, id) in ids)
        {
            Assert.True(restored.TryGet(Encoding.UTF8.GetBytes(text), out var found));
            Assert.Equal(id, found);
        }

        Assert.False(restored.TryGet("replaced by the snapshot"u8, out _));
        Assert.Equal(interner.Count, restored.GetOrAdd("a string never seen before"u8));
    }

    [Fact]
    public void ReadState_SmallerSnapshotIntoLargerInterner_ForgetsEverythingElse()
    {
        var small = new Utf8Interner();
        small.GetOrAdd("kept"u8);
        var buffer = new ArrayBufferWriter<byte>();
        small.WriteState(new StateWriter(buffer));

        var large = new Utf8Interner();
        var others = Enumerable.Range(0, 500).Select(static i => Encoding.UTF8.GetBytes("other-" + i)).ToArray();
        foreach (var other in others)
        {
            large.GetOrAdd(other);
        }

        var reader = new StateReader(buffer.WrittenSpan);
        large.ReadState(ref reader);

        Assert.Equal(1, large.Count);
        Assert.True(large.TryGet("kept"u8, out var kept));
        Assert.Equal(0, kept);
        foreach (var other in others)
        {
            Assert.False(large.TryGet(other, out _));
        }

        Assert.Equal(1, large.GetOrAdd(others[0]));
        Assert.Equal(2, large.GetOrAdd(others[499]));
    }

    [Fact]
    public void TryGetOrAdd_Full_RejectsNewButFindsKnown()
    {
        var interner = new Utf8Interner(maxCount: 2);
        Assert.True(interner.TryGetOrAdd("a"u8, out _));
        Assert.True(interner.TryGetOrAdd("b"u8, out _));
        Assert.False(interner.TryGetOrAdd("c"u8, out var rejected));
        Assert.Equal(-1, rejected);
        Assert.True(interner.TryGetOrAdd("b"u8, out var known));
        Assert.Equal(1, known);
        Assert.Throws<InvalidOperationException>(() => interner.GetOrAdd("c"u8));
    }

    [Fact]
    public void GetOrAdd_KnownStrings_DoesNotAllocate()
    {
        var interner = new Utf8Interner();
        var keys = Enumerable.Range(0, 200).Select(static i => Encoding.UTF8.GetBytes("page-" + i)).ToArray();
        foreach (var key in keys)
        {
            interner.GetOrAdd(key);
        }

        // Warm the lookup path up first, as the pipeline allocation tests do: tiered compilation and on-stack
        // replacement can allocate on this thread while a method is still being promoted (seen once in ten runs).
        LookUpAll(interner, keys, rounds: 2000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = LookUpAll(interner, keys, rounds: 1000);

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(1000L * 199 * 200 / 2, sum);
    }

    private static string RandomText(Random r, List<string> seen)
    {
        if (seen.Count > 0 && r.Next(3) == 0)
        {
            return seen[r.Next(seen.Count)];
        }

        var length = r.Next(0, 24);
        var chars = new char[length];
        for (var i = 0; i < length; i++)
        {
            chars[i] = r.Next(10) == 0 ? (char)r.Next(0x400, 0x4FF) : (char)r.Next('a', 'f');
        }

        var text = new string(chars);
        seen.Add(text);
        return text;
    }

    private static long LookUpAll(Utf8Interner interner, byte[][] keys, int rounds)
    {
        var sum = 0L;
        for (var round = 0; round < rounds; round++)
        {
            foreach (var key in keys)
            {
                sum += interner.GetOrAdd(key);
            }
        }

        return sum;
    }
}
