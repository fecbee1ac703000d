namespace StreamKit.Benchmarks.Suite;

/// <summary>
/// An order-independent digest of a query's results: how many, the sum of their values and a sum of per-result
/// hashes. Variants emit windows in different orders (Rx by group completion, LINQ by first key), so the digest
/// must not depend on order; two variants agree when all three parts are equal.
/// </summary>
public struct ResultChecksum : IEquatable<ResultChecksum>
{
    /// <summary>Results seen.</summary>
    public long Count;

    /// <summary>The sum of the result values (counts, or the summed durations of Q1).</summary>
    public long ValueSum;

    /// <summary>The sum of a mixed hash of every (start, end, key, value).</summary>
    public ulong Hash;

    /// <summary>Adds one window result.</summary>
    public void Add(long start, long end, long key, long value)
    {
        Count++;
        ValueSum += value;
        Hash += Mix(Mix(Mix(Mix(0x9E3779B97F4A7C15UL ^ (ulong)start) ^ (ulong)end) ^ (ulong)key) ^ (ulong)value);
    }

    /// <summary>Adds every result of another digest.</summary>
    public void Add(in ResultChecksum other)
    {
        Count += other.Count;
        ValueSum += other.ValueSum;
        Hash += other.Hash;
    }

    /// <inheritdoc />
    public readonly bool Equals(ResultChecksum other) => Count == other.Count && ValueSum == other.ValueSum && Hash == other.Hash;

    /// <inheritdoc />
    public override readonly bool Equals(object? obj) => obj is ResultChecksum other && Equals(other);

    /// <inheritdoc />
    public override readonly int GetHashCode() => HashCode.Combine(Count, ValueSum, Hash);

    /// <inheritdoc />
    public override readonly string ToString() => $"{Count} results, values {ValueSum}, hash {Hash:x16}";

    /// <summary>Equal digests.</summary>
    public static bool operator ==(ResultChecksum left, ResultChecksum right) => left.Equals(right);

    /// <summary>Different digests.</summary>
    public static bool operator !=(ResultChecksum left, ResultChecksum right) => !left.Equals(right);

    // SplitMix64's finaliser: every input bit affects every output bit.
    private static ulong Mix(ulong x)
    {
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }
}
