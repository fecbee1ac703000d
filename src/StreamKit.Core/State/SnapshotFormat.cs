using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace StreamKit.State;

/// <summary>What a snapshot holds after its header.</summary>
internal enum SnapshotKind
{
    /// <summary>A <c>PipelineRunner</c> checkpoint: every partition's position, then the pipeline.</summary>
    RunnerCheckpoint = 1,

    /// <summary>One partition of an <c>InvocationRunner</c>: its last applied sequence number, then the pipeline.</summary>
    InvocationPartition = 2,
}

/// <summary>
/// The header every stored snapshot starts with: the bytes <c>SKST</c>, the format version (little-endian int32) and
/// what the snapshot holds. Documented in docs/state-stores.md, "Snapshot format and upgrades".
/// </summary>
/// <remarks>
/// The version names the layout of everything after the header. A build reads every version from
/// <see cref="OldestReadable"/> to <see cref="Current"/>: a change of layout raises <see cref="Current"/> and keeps a
/// reader for the previous one, so state written by one release is restored by the next. A snapshot from a newer
/// release, or one without the header, is refused with <see cref="IncompatibleStateException"/> before any state is
/// touched.
/// </remarks>
internal static class SnapshotFormat
{
    /// <summary>The format this build writes.</summary>
    public const int Current = 1;

    /// <summary>The oldest format this build still reads.</summary>
    public const int OldestReadable = 1;

    /// <summary>"SKST" as the first four bytes.</summary>
    private const int Magic = 0x54534B53;

    // The markers snapshots began with before they had a header (checkpoint "SKC1", invocation "SKI1").
    private const int UnversionedCheckpoint = 0x534B4331;
    private const int UnversionedInvocation = 0x534B4931;

    /// <summary>The way forward every refusal names.</summary>
    public const string WayForward =
        "To start over, give the pipeline a new state key (PipelineRunnerOptions.StateKey, InvocationRunnerOptions.StateKeyPrefix; with Kafka also a new consumer group) " +
        "or delete the stored state, and replay the input from the source; see docs/state-stores.md, \"Snapshot format and upgrades\".";

    public static void WriteHeader(StateWriter writer, SnapshotKind kind)
    {
        writer.WriteInt32(Magic);
        writer.WriteInt32(Current);
        writer.WriteInt32((int)kind);
    }

    /// <summary>Reads and checks the header.</summary>
    /// <returns>The snapshot's format version, between <see cref="OldestReadable"/> and <see cref="Current"/>.</returns>
    /// <exception cref="IncompatibleStateException">No header, a version this build cannot read, or another kind of snapshot.</exception>
    public static int ReadHeader(ref StateReader reader, SnapshotKind kind, string key)
    {
        var magic = reader.Remaining >= 4 ? reader.ReadInt32() : 0;
        if (magic != Magic)
        {
            var why = magic is UnversionedCheckpoint or UnversionedInvocation
                ? "it was written by a StreamKit build from before snapshots carried a format version, which this build cannot read"
                : "it does not start with a StreamKit snapshot header ('SKST')";
            throw new IncompatibleStateException(Invariant($"The state stored under '{key}' cannot be restored: {why}. {WayForward}"));
        }

        var version = reader.ReadInt32();
        if (version > Current)
        {
            throw new IncompatibleStateException(Invariant(
                $"The state stored under '{key}' has snapshot format {version}, written by a newer StreamKit; this build reads formats {OldestReadable} to {Current}. Run the newer StreamKit, or start over: {WayForward}"));
        }

        if (version < OldestReadable)
        {
            throw new IncompatibleStateException(Invariant(
                $"The state stored under '{key}' has snapshot format {version}; this build reads formats {OldestReadable} to {Current}. {WayForward}"));
        }

        var actual = reader.ReadInt32();
        if (actual != (int)kind)
        {
            throw new IncompatibleStateException(Invariant(
                $"The state stored under '{key}' is a {Describe(actual)} snapshot, not a {Describe((int)kind)} one: two kinds of runner share the key. {WayForward}"));
        }

        return version;
    }

    /// <summary>A stable, readable name for a type in a pipeline definition: no namespace or assembly, generic arguments spelled out.</summary>
    /// <param name="type">The type.</param>
    /// <param name="record">The stage's record type, written as <c>T</c> so renaming it does not count as a change.</param>
    public static string TypeName(Type type, Type? record = null)
    {
        if (type == record)
        {
            return "T";
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = new StringBuilder(type.Name, 0, type.Name.IndexOf('`', StringComparison.Ordinal) is var tick and >= 0 ? tick : type.Name.Length, 64);
        name.Append('<');
        var arguments = type.GetGenericArguments();
        for (var i = 0; i < arguments.Length; i++)
        {
            name.Append(i == 0 ? string.Empty : ",").Append(TypeName(arguments[i], record));
        }

        return name.Append('>').ToString();
    }

    /// <summary>A type name with its size, for types whose memory image is stored.</summary>
    public static string LayoutName<TValue>(Type? record = null)
        where TValue : unmanaged => Invariant($"{TypeName(typeof(TValue), record)} ({Unsafe.SizeOf<TValue>()} bytes)");

    /// <summary>Adds one window stage's entries to a pipeline definition; a second window stage's names get " #2", and so on.</summary>
    public static void AddWindowStage(List<KeyValuePair<string, string>> definition, params ReadOnlySpan<(string Name, string Value)> entries)
    {
        var stage = 1;
        foreach (var entry in definition)
        {
            stage += entry.Key == "window" || entry.Key.StartsWith("window #", StringComparison.Ordinal) ? 1 : 0;
        }

        var suffix = stage == 1 ? string.Empty : Invariant($" #{stage}");
        foreach (var (name, value) in entries)
        {
            definition.Add(new(name + suffix, value));
        }
    }

    public static string Milliseconds(long value) => Invariant($"{value} ms");

    private static string Describe(int kind) => kind switch
    {
        (int)SnapshotKind.RunnerCheckpoint => "PipelineRunner checkpoint",
        (int)SnapshotKind.InvocationPartition => "InvocationRunner partition",
        _ => Invariant($"unknown (kind {kind})"),
    };

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
