using System.Numerics;
using System.Runtime.CompilerServices;

namespace StreamKit.Aggregates;

/// <summary>A HyperLogLog sketch with 4096 one-byte registers: standard error 1.04/√4096 ≈ 1.6 %.</summary>
/// <remarks>
/// Unmanaged and fixed-size so it lives inline in state tables and snapshots as bytes. Merging two sketches
/// takes the register-wise maximum, so slices, windows and partitions combine without losing accuracy.
/// </remarks>
public struct HyperLogLogSketch
{
    /// <summary>Bits of the hash that pick a register.</summary>
    public const int Precision = 12;

    /// <summary>How many registers the sketch has.</summary>
    public const int RegisterCount = 1 << Precision;

    private Registers _registers;

    /// <summary>Adds a value that has already been hashed to 64 well-mixed bits.</summary>
    public void AddHash(ulong hash)
    {
        var index = (int)(hash >> (64 - Precision));
        var rest = hash << Precision;
        var rank = (byte)(rest == 0 ? 64 - Precision + 1 : BitOperations.LeadingZeroCount(rest) + 1);
        ref var register = ref _registers[index];
        if (rank > register)
        {
            register = rank;
        }
    }

    /// <summary>Adds a value, hashing it first.</summary>
    public void Add(long value) => AddHash(Mix(unchecked((ulong)value)));

    /// <summary>Folds another sketch into this one (register-wise maximum).</summary>
    public void Merge(in HyperLogLogSketch other)
    {
        Span<byte> mine = _registers;
        ReadOnlySpan<byte> theirs = other._registers;
        var i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= RegisterCount - Vector<byte>.Count; i += Vector<byte>.Count)
            {
                Vector.Max(new Vector<byte>(mine[i..]), new Vector<byte>(theirs[i..])).CopyTo(mine[i..]);
            }
        }

        for (; i < RegisterCount; i++)
        {
            mine[i] = Math.Max(mine[i], theirs[i]);
        }
    }

    /// <summary>The estimated number of distinct values added.</summary>
    public readonly long Estimate()
    {
        // Ertl's improved estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017) over the
        // register histogram: unbiased from empty to huge, where the classic raw estimate with a linear-counting switch
        // at 2.5 m is about 2 % high just above the switch.
        const int q = 64 - Precision; // registers hold 0 (empty) to q + 1
        const double m = RegisterCount;
        Span<int> histogram = stackalloc int[q + 2];
        ReadOnlySpan<byte> registers = _registers;
        foreach (var r in registers)
        {
            histogram[Math.Min((int)r, q + 1)]++;
        }

        var z = m * Tau(1 - (histogram[q + 1] / m));
        for (var k = q; k >= 1; k--)
        {
            z = 0.5 * (z + histogram[k]);
        }

        z += m * Sigma(histogram[0] / m);
        return (long)Math.Round(m * m / (2 * Math.Log(2) * z));
    }

    private static double Sigma(double x)
    {
        if (x == 1)
        {
            return double.PositiveInfinity;
        }

        double y = 1, z = x, previous;
        do
        {
            x *= x;
            previous = z;
            z += x * y;
            y += y;
        }
        while (z != previous);
        return z;
    }

    private static double Tau(double x)
    {
        if (x == 0 || x == 1)
        {
            return 0;
        }

        double y = 1, z = 1 - x, previous;
        do
        {
            x = Math.Sqrt(x);
            previous = z;
            y *= 0.5;
            z -= (1 - x) * (1 - x) * y;
        }
        while (z != previous);
        return z / 3;
    }

    /// <summary>A 64-bit finaliser (MurmurHash3's fmix64) that spreads nearby integers across all bits.</summary>
    internal static ulong Mix(ulong x)
    {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdUL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53UL;
        x ^= x >> 33;
        return x;
    }

    [InlineArray(RegisterCount)]
    private struct Registers
    {
        private byte _element;
    }
}
