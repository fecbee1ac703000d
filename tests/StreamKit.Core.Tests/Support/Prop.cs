using System.Globalization;
using System.Runtime.CompilerServices;
using Xunit.Sdk;

namespace StreamKit.Core.Tests.Support;

/// <summary>
/// A minimal seeded property runner (FsCheck and CsCheck do not restore here): runs a property over many seeded
/// random cases of growing size and, on failure, names the seed and size so the case can be replayed.
/// </summary>
/// <remarks>
/// Seeds are derived from the test's name, so every run checks the same cases. Replay one case with the
/// environment variable <c>STREAMKIT_SEED=seed/size</c> (or just <c>seed</c>, which uses the largest size);
/// <c>STREAMKIT_CASES=n</c> changes how many cases each property runs.
/// </remarks>
internal static class Prop
{
    public const string SeedVariable = "STREAMKIT_SEED";
    public const string CasesVariable = "STREAMKIT_CASES";

    /// <summary>Runs <paramref name="property"/> (given a seeded generator and a size from 1 to <paramref name="maxSize"/>) <paramref name="cases"/> times.</summary>
    public static void ForAll(int cases, int maxSize, Action<Random, int> property, [CallerMemberName] string name = "", string? variant = null)
    {
        ArgumentNullException.ThrowIfNull(property);
        var label = variant is null ? name : name + "(" + variant + ")";
        if (TryReadReplay(maxSize, out var replaySeed, out var replaySize))
        {
            RunCase(label, -1, replaySeed, replaySize, property);
            return;
        }

        if (int.TryParse(Environment.GetEnvironmentVariable(CasesVariable), NumberStyles.Integer, CultureInfo.InvariantCulture, out var overridden) && overridden > 0)
        {
            cases = overridden;
        }

        var baseSeed = StableHash(label);
        for (var i = 0; i < cases; i++)
        {
            var seed = unchecked(baseSeed + (i * 7919)) & int.MaxValue;
            var size = 1 + (int)((long)i * maxSize / Math.Max(1, cases));
            RunCase(label, i, seed, Math.Min(size, maxSize), property);
        }
    }

    private static void RunCase(string label, int index, int seed, int size, Action<Random, int> property)
    {
        try
        {
            property(new Random(seed), size);
        }
        catch (Exception ex)
        {
            var which = index < 0 ? "replayed case" : "case " + index.ToString(CultureInfo.InvariantCulture);
            throw new XunitException(
                $"Property {label} failed on {which} (seed {seed}, size {size}). Replay with {SeedVariable}={seed}/{size}.{Environment.NewLine}{ex.Message}",
                ex);
        }
    }

    private static bool TryReadReplay(int maxSize, out int seed, out int size)
    {
        seed = 0;
        size = maxSize;
        var text = Environment.GetEnvironmentVariable(SeedVariable);
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Split('/', StringSplitOptions.TrimEntries);
        seed = int.Parse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture);
        if (parts.Length > 1)
        {
            size = int.Parse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture);
        }

        return true;
    }

    // string.GetHashCode is randomised per process; seeds must be the same in every run.
    private static int StableHash(string text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & int.MaxValue);
    }
}

/// <summary>A wall clock the test moves by hand (milliseconds), for partition idleness.</summary>
internal sealed class ManualClock : TimeProvider
{
    private long _now;

    public override long TimestampFrequency => 1000;

    public override long GetTimestamp() => _now;

    public override DateTimeOffset GetUtcNow() => DateTimeOffset.UnixEpoch.AddMilliseconds(_now);

    public void Advance(long milliseconds) => _now += milliseconds;
}
