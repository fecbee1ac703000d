using System.Buffers;
using System.Diagnostics;
using StreamKit.Codecs;
using StreamKit.Diagnostics;
using StreamKit.Pipeline;
using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>
/// A pipeline as a runner drives it: its decoder, the last applied position of each partition it reads, and the
/// snapshot (those positions, then the pipeline's state) stored under one key.
/// </summary>
/// <remarks>
/// <see cref="PipelineRunner{T}"/> has one over all the partitions of its source (<see cref="SnapshotKind.RunnerCheckpoint"/>);
/// <see cref="InvocationRunner{T}"/> has one per partition (<see cref="SnapshotKind.InvocationPartition"/>). Both
/// process records with <see cref="RecordProcessor{T}"/> and checkpoint with <see cref="Checkpoint"/>. Partition
/// indexes are dense from 0, in order of first sight, and are also the pipeline's watermark partitions.
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
internal sealed class CheckpointedPipeline<T>
    where T : struct
{
    private readonly SnapshotKind _kind;
    private readonly Dictionary<string, int> _index = [];
    private readonly List<string> _names = [];
    private StreamPosition[] _applied = new StreamPosition[1];

    public CheckpointedPipeline(Pipeline<T> pipeline, IRecordDecoder<T> decoder, string key, SnapshotKind kind)
    {
        Pipeline = pipeline;
        Decoder = decoder;
        RawDecoder = decoder as IRawRecordDecoder<T>;
        Key = key;
        _kind = kind;
        Tags = StreamKitMetrics.Tags(pipeline.Name);
    }

    public Pipeline<T> Pipeline { get; }

    public IRecordDecoder<T> Decoder { get; }

    /// <summary>The decoder when it also reads keys, headers and timestamps, else <see langword="null"/>.</summary>
    public IRawRecordDecoder<T>? RawDecoder { get; }

    /// <summary>The snapshot's key in the store.</summary>
    public string Key { get; }

    /// <summary>The stored snapshot's version, for the next conditional save; <see langword="null"/> before the first.</summary>
    public string? Version { get; private set; }

    public TagList Tags { get; }

    /// <summary>The partitions seen so far, by index.</summary>
    public IReadOnlyList<string> PartitionNames => _names;

    /// <summary>The index of partition <paramref name="name"/>, added (with nothing applied) the first time it is seen.</summary>
    public int PartitionOf(string name)
    {
        if (!_index.TryGetValue(name, out var index))
        {
            index = _names.Count;
            _index.Add(name, index);
            _names.Add(name);
            if (_applied.Length == index)
            {
                Array.Resize(ref _applied, index * 2);
            }

            _applied[index] = StreamPosition.None;
        }

        return index;
    }

    /// <summary>The last applied position of partition <paramref name="partition"/>; records at or before it are skipped.</summary>
    public ref StreamPosition Applied(int partition) => ref _applied[partition];

    /// <summary>Loads the stored snapshot, if any, into the positions and the pipeline.</summary>
    /// <returns>Whether a snapshot was found.</returns>
    public async ValueTask<bool> LoadAsync(IStateStore store, CancellationToken cancellationToken)
    {
        if (await store.LoadAsync(Key, cancellationToken).ConfigureAwait(false) is not { } stored)
        {
            return false;
        }

        Version = stored.Version;
        Restore(stored.Data.Span);
        return true;
    }

    /// <summary>Saves the positions and the pipeline's state, conditionally on the version loaded or last saved.</summary>
    public async ValueTask SaveAsync(IStateStore store, ArrayBufferWriter<byte> buffer, CancellationToken cancellationToken)
    {
        buffer.ResetWrittenCount();
        Write(new StateWriter(buffer));
        Version = await store.SaveAsync(Key, buffer.WrittenMemory, Version, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads only the positions of a stored snapshot of <paramref name="key"/>, for records a failed invocation left undone.</summary>
    public static StreamPosition ReadInvocationPosition(ReadOnlySpan<byte> snapshot, string key)
    {
        var reader = new StateReader(snapshot);
        SnapshotFormat.ReadHeader(ref reader, SnapshotKind.InvocationPartition, key);
        return StreamPosition.ReadDigits(ref reader);
    }

    // The positions keep the layout each kind had in format 1: a runner's partitions as (name, int64) pairs, since its
    // sources count in long offsets; an invocation partition's one position as digits, since Kinesis's do not fit.
    private void Write(StateWriter writer)
    {
        SnapshotFormat.WriteHeader(writer, _kind);
        if (_kind == SnapshotKind.InvocationPartition)
        {
            Debug.Assert(_names.Count == 1, "An invocation snapshot holds one partition.");
            _applied[0].WriteDigits(writer);
        }
        else
        {
            writer.WriteInt32(_names.Count);
            for (var i = 0; i < _names.Count; i++)
            {
                writer.WriteString(_names[i]);
                writer.WriteInt64(_applied[i].ToInt64() is var value and not -1
                    ? value
                    : throw new InvalidOperationException($"Partition '{_names[i]}' has position {_applied[i]}, which a runner checkpoint cannot hold: its source's positions are long offsets."));
            }
        }

        Pipeline.WriteState(writer);
    }

    private void Restore(ReadOnlySpan<byte> snapshot)
    {
        var reader = new StateReader(snapshot);
        SnapshotFormat.ReadHeader(ref reader, _kind, Key);
        if (_kind == SnapshotKind.InvocationPartition)
        {
            _applied[0] = StreamPosition.ReadDigits(ref reader);
        }
        else
        {
            var partitions = reader.ReadCount();
            for (var i = 0; i < partitions; i++)
            {
                var partition = PartitionOf(reader.ReadString());
                _applied[partition] = StreamPosition.FromInt64(reader.ReadInt64());
            }
        }

        try
        {
            Pipeline.ReadState(ref reader);
        }
        catch (IncompatibleStateException e)
        {
            throw new IncompatibleStateException($"The state stored under '{Key}' cannot be restored: {e.Message}", e);
        }
    }
}
