using StreamKit.Codecs;
using StreamKit.Runtime;
using StreamKit.State;
using StreamKit.Testing;
using StreamKit.Windows;

namespace StreamKit.Hosting.AzureFunctions.Tests.Support;

/// <summary>What one function process holds: an <see cref="AzureFunctionsRunner{T}"/> over page-views-per-minute pipelines writing to a shared sink.</summary>
internal sealed class FunctionProcess : IDisposable
{
    private VisitPipeline? _latest;

    public FunctionProcess(IStateStore store, IRecordSink<WindowResult<int, long>> sink, IDeadLetterSink deadLetters, TimeProvider? clock = null, Action? onDecode = null, TimeSpan? timeout = null)
    {
        var time = clock ?? TimeProvider.System;
        var invocation = new InvocationRunner<Visit>(
            () =>
            {
                _latest = new VisitPipeline(sink);
                return _latest.Instance(onDecode);
            },
            deadLetters,
            new InvocationRunnerOptions { StateStore = store, TimeProvider = time });
        Runner = new AzureFunctionsRunner<Visit>(invocation, deadLetters, new AzureFunctionsRunnerOptions { TimeProvider = time, FunctionTimeout = timeout ?? TimeSpan.FromMinutes(5) });
    }

    public AzureFunctionsRunner<Visit> Runner { get; }

    public List<PageCount> Canonical(IReadOnlyList<WindowResult<int, long>> results) => _latest!.Canonical(results);

    public void Dispose() => Runner.Dispose();
}

/// <summary>A collecting sink whose flushes fail while <see cref="Failing"/> is set.</summary>
internal sealed class FailingSink : IRecordSink<WindowResult<int, long>>
{
    public CollectingSink<WindowResult<int, long>> Inner { get; } = new();

    public bool Failing { get; set; }

    public void Write(ReadOnlySpan<WindowResult<int, long>> records) => Inner.Write(records);

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) =>
        Failing ? throw new IOException("the sink is unavailable") : Inner.FlushAsync(cancellationToken);
}

/// <summary>A store whose saves fail while <see cref="Failing"/> is set.</summary>
internal sealed class FailingStore(IStateStore inner) : IStateStore
{
    public bool Failing { get; set; }

    /// <summary>Loads fail too (the service is down altogether), once the warm instance's version check has passed.</summary>
    public bool FailingLoads { get; set; }

    public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default) =>
        FailingLoads ? throw new IOException("the blob service answered 503") : inner.LoadAsync(key, cancellationToken);

    public ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default) => inner.GetVersionAsync(key, cancellationToken);

    public ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default) =>
        Failing ? throw new IOException("the blob service answered 503") : inner.SaveAsync(key, data, expectedVersion, cancellationToken);
}

/// <summary>A dead-letter sink whose flushes fail.</summary>
internal sealed class BrokenDeadLetterSink : IDeadLetterSink
{
    public void Write(in DeadLetter letter)
    {
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken = default) => throw new IOException("the dead-letter container is unavailable");
}
