namespace StreamKit.State;

/// <summary>State kept in process memory: for tests and for pipelines that may lose state on restart.</summary>
/// <remarks>Thread-safe.</remarks>
public sealed class InMemoryStateStore : IStateStore
{
    private readonly Dictionary<string, (byte[] Data, long Version)> _entries = [];
    private readonly Lock _lock = new();

    /// <inheritdoc />
    public ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult<StoredState?>(_entries.TryGetValue(key, out var entry)
                ? new StoredState(entry.Data, entry.Version.ToString(System.Globalization.CultureInfo.InvariantCulture))
                : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return ValueTask.FromResult(_entries.TryGetValue(key, out var entry)
                ? entry.Version.ToString(System.Globalization.CultureInfo.InvariantCulture)
                : null);
        }
    }

    /// <inheritdoc />
    public ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var current = _entries.TryGetValue(key, out var entry) ? entry.Version.ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            if (current != expectedVersion)
            {
                throw new StateConflictException($"State '{key}' is at version {current ?? "(none)"}, not {expectedVersion ?? "(none)"}.");
            }

            var version = entry.Version + 1;
            _entries[key] = (data.ToArray(), version);
            return ValueTask.FromResult(version.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }
}
