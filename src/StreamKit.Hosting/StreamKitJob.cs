using StreamKit.Codecs;
using StreamKit.Pipeline;
using StreamKit.Runtime;
using StreamKit.State;

namespace StreamKit.Hosting;

/// <summary>What one run of a hosted pipeline job needs: the built pipeline, its source, decoder, dead-letter sink and state store.</summary>
/// <remarks>
/// A job's factory (given to <see cref="StreamKitBuilder.AddJob{T}"/>) creates a new instance for every run: once at
/// start, and again after each restart following a failure, since a failed source or sink is not reused. When the run
/// ends the host disposes the source, the dead-letter sink (when disposable) and <see cref="Resources"/>, in that order.
/// </remarks>
/// <typeparam name="T">The record type.</typeparam>
public sealed class StreamKitJob<T> : IAsyncDisposable
    where T : struct
{
    /// <summary>The built pipeline (with its sinks attached).</summary>
    public required Pipeline<T> Pipeline { get; init; }

    /// <summary>Where records come from: a polling source (Kafka, Kinesis, files).</summary>
    public required IRecordSource Source { get; init; }

    /// <summary>How payloads become records.</summary>
    public required IRecordDecoder<T> Decoder { get; init; }

    /// <summary>Where records that cannot be decoded go.</summary>
    public required IDeadLetterSink DeadLetters { get; init; }

    /// <summary>Where checkpoints go; <see langword="null"/> runs without (nothing survives a restart).</summary>
    public IStateStore? StateStore { get; init; }

    /// <summary>Other things the run owns (output sinks, producers), disposed after the source and dead-letter sink, last first.</summary>
    public IReadOnlyList<IAsyncDisposable> Resources { get; init; } = [];

    /// <summary>Disposes the source, the dead-letter sink and <see cref="Resources"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await Source.DisposeAsync().ConfigureAwait(false);
        switch (DeadLetters)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }

        for (var i = Resources.Count - 1; i >= 0; i--)
        {
            await Resources[i].DisposeAsync().ConfigureAwait(false);
        }
    }
}
