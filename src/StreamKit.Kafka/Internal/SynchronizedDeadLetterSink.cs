using System.Diagnostics.CodeAnalysis;
using StreamKit.Runtime;

namespace StreamKit.Kafka.Internal;

/// <summary>Serialises the partition runners' calls to one dead-letter sink.</summary>
[SuppressMessage("Design", "CA1001", Justification = "Its SemaphoreSlim holds no unmanaged resource: AvailableWaitHandle is never read.")]
internal sealed class SynchronizedDeadLetterSink(IDeadLetterSink inner) : IDeadLetterSink
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Write(in DeadLetter letter)
    {
        _gate.Wait();
        try
        {
            inner.Write(letter);
        }
        finally
        {
            _gate.Release();
        }
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await inner.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }
}
