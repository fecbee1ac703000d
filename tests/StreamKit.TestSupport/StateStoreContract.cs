using StreamKit.State;

namespace StreamKit.TestSupport;

/// <summary>
/// What every <see cref="IStateStore"/> must do, run against each store by deriving from this class (in each test project
/// that has a store): round trips, versions, the HEAD-style version read, large and empty snapshots, missing keys.
/// </summary>
/// <remarks>
/// Conditional writes are a separate tier (<see cref="ConditionalStateStoreContract"/>) so that a store tested against a
/// peer that cannot show them (S3 on s3rver) runs everything it can and claims nothing more.
/// </remarks>
public abstract class StateStoreContract
{
    protected StateStoreContract(IStateStore store) => Store = store;

    protected IStateStore Store { get; }

    /// <summary>A key no other test uses, shaped like the runner's (pipeline and partition, with a '/').</summary>
    protected static string NewKey() => $"contract/{Guid.NewGuid():N}-clicks-3";

    protected static byte[] Snapshot(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task Load_MissingKey_ReturnsNull() => Assert.Null(await Store.LoadAsync(NewKey()));

    [Fact]
    public async Task GetVersion_MissingKey_ReturnsNull() => Assert.Null(await Store.GetVersionAsync(NewKey()));

    [Fact]
    public async Task Save_ThenLoad_ReturnsTheBytesAndTheSavedVersion()
    {
        var key = NewKey();
        var data = Snapshot(1000, 1);

        var version = await Store.SaveAsync(key, data, expectedVersion: null);

        var loaded = await Store.LoadAsync(key);
        Assert.NotNull(loaded);
        Assert.Equal(data, loaded.Value.Data.ToArray());
        Assert.Equal(version, loaded.Value.Version);
        Assert.Equal(version, await Store.GetVersionAsync(key));
    }

    [Fact]
    public async Task Save_NewBytesAtCurrentVersion_ReplacesSnapshotAndChangesVersion()
    {
        var key = NewKey();
        var first = await Store.SaveAsync(key, Snapshot(100, 1), expectedVersion: null);

        var second = await Store.SaveAsync(key, Snapshot(100, 2), first);

        Assert.NotEqual(first, second);
        Assert.Equal(second, await Store.GetVersionAsync(key));
        var loaded = await Store.LoadAsync(key);
        Assert.Equal(Snapshot(100, 2), loaded!.Value.Data.ToArray());
        Assert.Equal(second, loaded.Value.Version);
    }

    [Fact]
    public async Task Save_LargeSnapshot_RoundTrips()
    {
        var key = NewKey();
        var data = Snapshot((6 << 20) + 123, 7);

        var version = await Store.SaveAsync(key, data, expectedVersion: null);

        var loaded = await Store.LoadAsync(key);
        Assert.Equal(version, loaded!.Value.Version);
        Assert.True(data.AsSpan().SequenceEqual(loaded.Value.Data.Span));
    }

    [Fact]
    public async Task Save_EmptySnapshot_RoundTrips()
    {
        var key = NewKey();
        var version = await Store.SaveAsync(key, ReadOnlyMemory<byte>.Empty, expectedVersion: null);

        var loaded = await Store.LoadAsync(key);
        Assert.Equal(0, loaded!.Value.Data.Length);
        Assert.Equal(version, loaded.Value.Version);
    }

    [Fact]
    public async Task Save_SliceOfALargerBuffer_StoresOnlyTheSlice()
    {
        var key = NewKey();
        var buffer = Snapshot(300, 3);

        await Store.SaveAsync(key, buffer.AsMemory(100, 50), expectedVersion: null);

        Assert.Equal(buffer.AsSpan(100, 50).ToArray(), (await Store.LoadAsync(key))!.Value.Data.ToArray());
    }

    [Fact]
    public async Task Keys_AreIndependent()
    {
        var a = NewKey();
        var b = NewKey();
        await Store.SaveAsync(a, Snapshot(10, 1), expectedVersion: null);

        Assert.Null(await Store.LoadAsync(b));
        await Store.SaveAsync(b, Snapshot(10, 2), expectedVersion: null);
        Assert.Equal(Snapshot(10, 1), (await Store.LoadAsync(a))!.Value.Data.ToArray());
    }
}

/// <summary>The conditional-write half of the contract: a writer holding a stale version (or none) never overwrites newer state.</summary>
public abstract class ConditionalStateStoreContract : StateStoreContract
{
    protected ConditionalStateStoreContract(IStateStore store)
        : base(store)
    {
    }

    [Fact]
    public async Task Save_StaleVersion_ThrowsConflictAndKeepsTheNewerSnapshot()
    {
        var key = NewKey();
        var first = await Store.SaveAsync(key, Snapshot(100, 1), expectedVersion: null);
        var second = await Store.SaveAsync(key, Snapshot(100, 2), first);

        await Assert.ThrowsAsync<StateConflictException>(async () => await Store.SaveAsync(key, Snapshot(100, 3), first));

        var loaded = await Store.LoadAsync(key);
        Assert.Equal(second, loaded!.Value.Version);
        Assert.Equal(Snapshot(100, 2), loaded.Value.Data.ToArray());
    }

    [Fact]
    public async Task Save_CreateWhenOneExists_ThrowsConflictAndKeepsTheExistingSnapshot()
    {
        var key = NewKey();
        var version = await Store.SaveAsync(key, Snapshot(100, 1), expectedVersion: null);

        await Assert.ThrowsAsync<StateConflictException>(async () => await Store.SaveAsync(key, Snapshot(100, 2), expectedVersion: null));

        Assert.Equal(version, await Store.GetVersionAsync(key));
        Assert.Equal(Snapshot(100, 1), (await Store.LoadAsync(key))!.Value.Data.ToArray());
    }

    [Fact]
    public async Task Save_ExpectingAVersionWhenNoneExists_ThrowsConflict()
    {
        var key = NewKey();
        var other = NewKey();
        var foreignVersion = await Store.SaveAsync(other, Snapshot(10, 1), expectedVersion: null);

        await Assert.ThrowsAsync<StateConflictException>(async () => await Store.SaveAsync(key, Snapshot(10, 2), foreignVersion));

        Assert.Null(await Store.LoadAsync(key));
    }
}
