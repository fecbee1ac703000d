using System.Buffers;
using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>The checkpoint sequence, the one place that orders it for both runners.</summary>
/// <remarks>
/// <para>The order is what makes a crash at any point safe:</para>
/// <list type="number">
/// <item>flush every pipeline's sinks: results so far are durable (a transactional sink prepares them, still invisible);</item>
/// <item>flush the dead letters: a rejected record is stored before anything commits past it;</item>
/// <item>save each pipeline's state with the positions it reflects: a restart resumes from here and skips what it holds;</item>
/// <item>commit the transactional sinks: their output becomes visible only once the state that produced it is saved;</item>
/// <item>commit the source: the platform may drop the records only now.</item>
/// </list>
/// <para>A crash before step 3 replays from the previous checkpoint: flushed output is written again (at-least-once
/// output, or discarded uncommitted by a transactional sink), state is rebuilt exactly once. A crash after step 3 replays
/// records the saved positions skip. A failed step stops the sequence; the caller treats the checkpoint as not taken.</para>
/// </remarks>
internal static class Checkpoint
{
    /// <summary>Runs the sequence over <paramref name="pipelines"/>.</summary>
    /// <param name="pipelines">Every pipeline whose output and state the checkpoint covers.</param>
    /// <param name="deadLetters">The runner's dead-letter sink.</param>
    /// <param name="store">Where state goes; <see langword="null"/> runs without saving it (nothing survives a restart).</param>
    /// <param name="buffer">A reusable buffer for snapshots.</param>
    /// <param name="source">The source to commit, with <paramref name="positions"/>; <see langword="null"/> where the platform commits (functions).</param>
    /// <param name="positions">The positions to commit to <paramref name="source"/>.</param>
    /// <param name="cancellationToken">Cancels the sequence; the checkpoint is then not taken.</param>
    public static async ValueTask RunAsync<T>(
        IReadOnlyList<CheckpointedPipeline<T>> pipelines,
        IDeadLetterSink deadLetters,
        IStateStore? store,
        ArrayBufferWriter<byte> buffer,
        IRecordSource? source,
        IReadOnlyDictionary<string, long>? positions,
        CancellationToken cancellationToken)
        where T : struct
    {
        for (var i = 0; i < pipelines.Count; i++)
        {
            await pipelines[i].Pipeline.FlushAsync(cancellationToken).ConfigureAwait(false);
        }

        await deadLetters.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (store is not null)
        {
            for (var i = 0; i < pipelines.Count; i++)
            {
                await pipelines[i].SaveAsync(store, buffer, cancellationToken).ConfigureAwait(false);
            }
        }

        for (var i = 0; i < pipelines.Count; i++)
        {
            await pipelines[i].Pipeline.CommitAsync(cancellationToken).ConfigureAwait(false);
        }

        if (source is not null)
        {
            await source.CommitAsync(positions!, cancellationToken).ConfigureAwait(false);
        }
    }
}
