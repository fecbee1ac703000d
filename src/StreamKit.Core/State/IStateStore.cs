namespace StreamKit.State;

/// <summary>Durable storage for checkpoints: pipeline state together with the source positions it reflects.</summary>
/// <remarks>
/// Saves are conditional: passing the version last loaded or saved makes a second writer for the same key (a
/// zombie function instance, a rebalanced consumer) fail with <see cref="StateConflictException"/> instead of
/// overwriting newer state. Implementations: <see cref="InMemoryStateStore"/>, <see cref="FileStateStore"/>;
/// connector packages add S3 and Azure Blob.
/// </remarks>
public interface IStateStore
{
    /// <summary>Loads the snapshot stored under <paramref name="key"/>, or <see langword="null"/> when there is none.</summary>
    ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>The version stored under <paramref name="key"/>, or <see langword="null"/> when there is none, without reading the snapshot.</summary>
    /// <remarks>
    /// A warm function instance keeps its state in memory and calls this to check that no other instance has saved since
    /// (one small request instead of downloading the snapshot). Stores with a cheap metadata read (file header, HTTP
    /// HEAD) override it; the default loads the snapshot.
    /// </remarks>
    async ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default) =>
        (await LoadAsync(key, cancellationToken).ConfigureAwait(false))?.Version;

    /// <summary>Stores <paramref name="data"/> under <paramref name="key"/> atomically: readers see the old or the new snapshot, never a mix.</summary>
    /// <param name="key">The snapshot's name (e.g. a pipeline and partition).</param>
    /// <param name="data">The snapshot.</param>
    /// <param name="expectedVersion">The version this writer last saw, or <see langword="null"/> when it expects no snapshot yet.</param>
    /// <param name="cancellationToken">Cancels the save.</param>
    /// <returns>The new version.</returns>
    /// <exception cref="StateConflictException">The stored version is not <paramref name="expectedVersion"/>.</exception>
    ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default);
}
