namespace StreamKit.State;

/// <summary>A stored snapshot and the version it was stored as.</summary>
/// <param name="Data">The snapshot bytes.</param>
/// <param name="Version">An opaque version (counter, ETag): pass it back to <see cref="IStateStore.SaveAsync"/> to write conditionally.</param>
public readonly record struct StoredState(ReadOnlyMemory<byte> Data, string Version);
