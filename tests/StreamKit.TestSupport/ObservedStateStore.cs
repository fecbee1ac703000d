using System.Collections.Concurrent;
using StreamKit.State;

namespace StreamKit.TestSupport;

/// <summary>What a store was asked, in order: one entry per load, version read and save.</summary>
/// <param name="Kind">"load", "version" or "save".</param>
/// <param name="Key">The key asked for.</param>
/// <param name="Found">For a load or version read, whether the key held state.</param>
public readonly record struct StoreCall(string Kind, string Key, bool Found);

/// <summary>
/// Forwards to another store, logs each call in order and notifies <see cref="Changed"/> after it, so a test waits on
/// what the code under test did with its state (a checkpoint saved, a marker looked for) instead of on time.
/// </summary>
public sealed class ObservedStateStore(IStateStore inner, Pulse changed) : IStateStore
{
    private readonly ConcurrentQueue<StoreCall> _calls = new();

    /// <summary>Notified after each call has reached the inner store.</summary>
    public Pulse Changed { get; } = changed;

    /// <summary>The calls so far, oldest first (a copy).</summary>
    public IReadOnlyList<StoreCall> Calls => [.. _calls];

    /// <inheritdoc />
    public async ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        var state = await inner.LoadAsync(key, cancellationToken);
        Log(new StoreCall("load", key, state is not null));
        return state;
    }

    /// <inheritdoc />
    public async ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default)
    {
        var version = await inner.GetVersionAsync(key, cancellationToken);
        Log(new StoreCall("version", key, version is not null));
        return version;
    }

    /// <inheritdoc />
    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        var version = await inner.SaveAsync(key, data, expectedVersion, cancellationToken);
        Log(new StoreCall("save", key, true));
        return version;
    }

    private void Log(StoreCall call)
    {
        _calls.Enqueue(call);
        Changed.Notify();
    }
}
