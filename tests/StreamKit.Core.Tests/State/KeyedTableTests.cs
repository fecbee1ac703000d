using System.Buffers;
using CsCheck;
using StreamKit.State;

namespace StreamKit.Core.Tests.State;

public sealed class KeyedTableTests
{
    /// <summary>A key whose hash is chosen by the test, so many keys share a home slot and probe runs get long.</summary>
    private readonly record struct CollidingKey(int Id, int Hash) : IEquatable<CollidingKey>
    {
        public bool Equals(CollidingKey other) => Id == other.Id;

        public override int GetHashCode() => Hash;
    }

    [Fact]
    public void GetOrAdd_NewAndExistingKeys_ReportsAddedAndKeepsValues()
    {
        var table = new KeyedTable<int, long>();
        table.GetOrAdd(5, out var added) = 50;
        Assert.True(added);
        ref var value = ref table.GetOrAdd(5, out added);
        Assert.False(added);
        Assert.Equal(50, value);
        value++;
        Assert.Equal(51, table.ValueAt(table.IndexOf(5)));
        Assert.Equal(-1, table.IndexOf(6));
        Assert.Equal(1, table.Count);
    }

    [Fact]
    public void RemoveAt_KeysSharingOneHomeSlot_RemainingKeysStayReachable()
    {
        var table = new KeyedTable<CollidingKey, int>(capacity: 4);
        for (var id = 0; id < 12; id++)
        {
            table.GetOrAdd(new CollidingKey(id, 42), out _) = id;
        }

        // Remove from the middle, the front and the end of the probe run.
        foreach (var id in new[] { 5, 0, 11, 6, 1 })
        {
            table.RemoveAt(table.IndexOf(new CollidingKey(id, 42)));
            Assert.Equal(-1, table.IndexOf(new CollidingKey(id, 42)));
        }

        foreach (var id in new[] { 2, 3, 4, 7, 8, 9, 10 })
        {
            var index = table.IndexOf(new CollidingKey(id, 42));
            Assert.True(index >= 0, $"key {id} lost");
            Assert.Equal(id, table.ValueAt(index));
        }

        Assert.Equal(7, table.Count);
    }

    [Fact]
    public void RandomOperations_ManyCollisions_BehavesLikeDictionary()
    {
        // A handful of distinct hashes: long probe runs, some wrapping around the end of the slot array. An operation
        // is a key id and a roll: half adds, 40 % removes, 9 % lookups, 1 % clears.
        var cases =
            from hashes in Gen.Int.Array[1, 5]
            from capacity in Gen.Int[1, 31]
            from keySpace in Gen.Int[1, 801]
            from operations in Gen.Select(Gen.Int[0, keySpace - 1], Gen.Int[0, 99]).Array[4, 1600]
            select (hashes, capacity, operations);
        cases.Sample((hashes, capacity, operations) =>
        {
            var table = new KeyedTable<CollidingKey, long>(capacity);
            var reference = new Dictionary<CollidingKey, long>();
            for (var op = 0; op < operations.Length; op++)
            {
                var (id, roll) = operations[op];
                var key = new CollidingKey(id, hashes[id % hashes.Length]);
                if (roll < 50)
                {
                    ref var value = ref table.GetOrAdd(key, out var added);
                    Assert.Equal(!reference.ContainsKey(key), added);
                    if (added)
                    {
                        Assert.Equal(0, value);
                    }

                    value += op;
                    reference[key] = reference.GetValueOrDefault(key) + op;
                }
                else if (roll < 90)
                {
                    var index = table.IndexOf(key);
                    Assert.Equal(reference.ContainsKey(key), index >= 0);
                    if (index >= 0)
                    {
                        Assert.Equal(key, table.KeyAt(index));
                        table.RemoveAt(index);
                        reference.Remove(key);
                    }
                }
                else if (roll < 99)
                {
                    var index = table.IndexOf(key);
                    Assert.Equal(reference.TryGetValue(key, out var expected), index >= 0);
                    if (index >= 0)
                    {
                        Assert.Equal(expected, table.ValueAt(index));
                    }
                }
                else
                {
                    table.Clear();
                    reference.Clear();
                }

                Assert.Equal(reference.Count, table.Count);
            }

            AssertSameContents(reference, table);
            foreach (var (key, value) in reference)
            {
                Assert.Equal(value, table.ValueAt(table.IndexOf(key)));
            }
        }, iter: 200);
    }

    [Fact]
    public void ReadState_AfterRemovals_RestoresEntriesInSameOrder()
    {
        var r = new Random(11);
        var table = new KeyedTable<int, long>();
        for (var i = 0; i < 300; i++)
        {
            table.GetOrAdd(r.Next(500), out _) += i;
            if (i % 3 == 0 && table.Count > 0)
            {
                table.RemoveAt(r.Next(table.Count));
            }
        }

        var buffer = new ArrayBufferWriter<byte>();
        table.WriteState(new StateWriter(buffer));
        var restored = new KeyedTable<int, long>();
        restored.GetOrAdd(-1, out _) = 99; // replaced by the snapshot
        var reader = new StateReader(buffer.WrittenSpan);
        restored.ReadState(ref reader);

        Assert.True(reader.IsEmpty);
        Assert.Equal(table.Keys.ToArray(), restored.Keys.ToArray());
        Assert.Equal(table.Values.ToArray(), restored.Values.ToArray());
        Assert.Equal(-1, restored.IndexOf(-1));
        foreach (var key in table.Keys)
        {
            Assert.Equal(table.IndexOf(key), restored.IndexOf(key));
        }
    }

    private static void AssertSameContents(Dictionary<CollidingKey, long> reference, KeyedTable<CollidingKey, long> table)
    {
        var keys = table.Keys.ToArray();
        var values = table.Values.ToArray();
        Assert.Equal(reference.Count, keys.Length);
        Assert.Equal(keys.Length, keys.Distinct().Count());
        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal(reference[keys[i]], values[i]);
            Assert.Equal(i, table.IndexOf(keys[i]));
        }
    }
}
