using System.Buffers.Binary;
using StreamKit.Codecs;
using StreamKit.Core.Tests.Windows;
using StreamKit.Records;
using StreamKit.Runtime;

namespace StreamKit.Core.Tests.Runtime;

/// <summary>An <see cref="Ev"/> as 24 little-endian bytes (time, key, value, item), so runner tests can feed window scenarios.</summary>
internal sealed class EvDecoder : IRecordDecoder<Ev>
{
    public const int Size = 24;

    public static byte[] Encode(Ev e)
    {
        var bytes = new byte[Size];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, e.Ts);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(8), e.Key);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(12), e.Value);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), e.Item);
        return bytes;
    }

    public bool TryDecode(ReadOnlySpan<byte> payload, ref Ev record, out string? error)
    {
        if (payload.Length != Size)
        {
            error = "not 24 bytes";
            return false;
        }

        record = new Ev(
            BinaryPrimitives.ReadInt64LittleEndian(payload),
            BinaryPrimitives.ReadInt32LittleEndian(payload[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(payload[12..]),
            BinaryPrimitives.ReadInt64LittleEndian(payload[16..]));
        error = null;
        return true;
    }
}

/// <summary>
/// Delivers a <see cref="Scenario"/>'s batches exactly as scripted (partition <c>p{n}</c>, positions counting per
/// partition), like a partitioned log that replays the same batches after a restart.
/// </summary>
/// <remarks>
/// Lists no partitions up front (as a consumer group), so the watermark sees partitions as the reference model does.
/// A new instance starts where a broker would after a crash: <see cref="Redelivery.FromCommitted"/> after the last
/// committed positions, or <see cref="Redelivery.FromStart"/> from the first batch; a seek moves it on unless
/// <see cref="IgnoreSeek"/>. Each batch is all of one scripted batch, so a checkpoint (between batches) always covers
/// whole batches and a replay repeats the same batch boundaries.
/// </remarks>
internal sealed class ScriptedSource : IRecordSource
{
    private readonly List<(string Partition, (long Position, byte[] Payload)[] Records)> _script = [];
    private readonly Dictionary<string, long> _committed;
    private readonly Action? _onRead;
    private int _next;

    public ScriptedSource(Scenario scenario, Dictionary<string, long> committed, Redelivery redelivery, bool ignoreSeek, Action? onRead = null)
    {
        var positions = new Dictionary<string, long>();
        foreach (var batch in scenario.Batches)
        {
            var partition = "p" + batch.Partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var records = new (long, byte[])[batch.Events.Length];
            for (var i = 0; i < records.Length; i++)
            {
                var position = positions.GetValueOrDefault(partition, -1) + 1;
                positions[partition] = position;
                records[i] = (position, EvDecoder.Encode(batch.Events[i]));
            }

            _script.Add((partition, records));
        }

        _committed = committed;
        _onRead = onRead;
        IgnoreSeek = ignoreSeek;
        _next = redelivery == Redelivery.FromStart ? 0 : After(committed);
    }

    public enum Redelivery
    {
        FromCommitted,
        FromStart,
    }

    public string Name => "scripted";

    public bool IgnoreSeek { get; }

    public ValueTask SeekAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        if (!IgnoreSeek)
        {
            _next = After(positions);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> ReadAsync(RawRecordBatch batch, CancellationToken cancellationToken = default)
    {
        _onRead?.Invoke();
        if (_next == _script.Count)
        {
            return ValueTask.FromResult(false);
        }

        var (partition, records) = _script[_next++];
        batch.Partition = partition;
        foreach (var (position, payload) in records)
        {
            batch.Add(payload, default, position, 0);
        }

        return ValueTask.FromResult(true);
    }

    public ValueTask CommitAsync(IReadOnlyDictionary<string, long> positions, CancellationToken cancellationToken = default)
    {
        foreach (var (partition, position) in positions)
        {
            _committed[partition] = position;
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>The first batch holding a record after the given positions: checkpoints fall between batches, so every earlier one is applied.</summary>
    private int After(IReadOnlyDictionary<string, long> positions)
    {
        var first = _script.Count;
        for (var i = _script.Count - 1; i >= 0; i--)
        {
            var (partition, records) = _script[i];
            if (records.Length > 0 && records[^1].Position > positions.GetValueOrDefault(partition, -1))
            {
                first = i;
            }
        }

        return first;
    }
}
