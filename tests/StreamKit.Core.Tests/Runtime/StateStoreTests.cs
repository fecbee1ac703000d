using System.Buffers;
using StreamKit.Core.Tests.Files;
using StreamKit.State;

namespace StreamKit.Core.Tests.Runtime;

public class StateStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    public static TheoryData<string> Stores => ["file", "memory"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task LoadAsync_NothingSaved_ReturnsNull(string kind)
    {
        Assert.Null(await Create(kind).LoadAsync("pipeline"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SaveAsync_ThenLoad_ReturnsDataAndNewVersion(string kind)
    {
        var store = Create(kind);

        var v1 = await store.SaveAsync("pipeline", new byte[] { 1, 2, 3 }, expectedVersion: null);
        var v2 = await store.SaveAsync("pipeline", new byte[] { 4, 5 }, expectedVersion: v1);
        var loaded = await store.LoadAsync("pipeline");

        Assert.NotEqual(v1, v2);
        Assert.NotNull(loaded);
        Assert.Equal([4, 5], loaded.Value.Data.ToArray());
        Assert.Equal(v2, loaded.Value.Version);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SaveAsync_StaleVersion_ThrowsStateConflictAndKeepsNewerState(string kind)
    {
        var store = Create(kind);
        var v1 = await store.SaveAsync("pipeline", new byte[] { 1 }, expectedVersion: null);
        var v2 = await store.SaveAsync("pipeline", new byte[] { 2 }, expectedVersion: v1);

        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SaveAsync("pipeline", new byte[] { 3 }, expectedVersion: v1));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SaveAsync("pipeline", new byte[] { 3 }, expectedVersion: null));
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SaveAsync("pipeline", new byte[] { 3 }, expectedVersion: "999"));

        var loaded = await store.LoadAsync("pipeline");
        Assert.Equal([2], loaded!.Value.Data.ToArray());
        Assert.Equal(v2, loaded.Value.Version);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SaveAsync_ExpectingVersionWhenNothingSaved_ThrowsStateConflict(string kind)
    {
        var store = Create(kind);

        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SaveAsync("pipeline", new byte[] { 1 }, expectedVersion: "1"));
        Assert.Null(await store.LoadAsync("pipeline"));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task SaveAsync_DifferentKeys_KeptApart(string kind)
    {
        var store = Create(kind);
        string[] keys = ["a", "A", "a/b", "a_b", "a%002Fb", "päge:1", "a.b"];

        for (var i = 0; i < keys.Length; i++)
        {
            await store.SaveAsync(keys[i], new[] { (byte)i }, expectedVersion: null);
        }

        for (var i = 0; i < keys.Length; i++)
        {
            Assert.Equal([(byte)i], (await store.LoadAsync(keys[i]))!.Value.Data.ToArray());
        }
    }

    [Fact]
    public async Task FileStateStore_NewInstanceOverSameDirectory_SeesSavedStateAndVersion()
    {
        var version = await new FileStateStore(_dir.Path).SaveAsync("pipeline", new byte[] { 7, 8 }, null);

        var reopened = new FileStateStore(_dir.Path);
        var loaded = await reopened.LoadAsync("pipeline");

        Assert.Equal([7, 8], loaded!.Value.Data.ToArray());
        Assert.Equal(version, loaded.Value.Version);
        await reopened.SaveAsync("pipeline", new byte[] { 9 }, version);
    }

    [Fact]
    public async Task FileStateStore_ConcurrentReadsDuringSaves_SeeWholeSnapshotsOnly()
    {
        var store = new FileStateStore(_dir.Path);
        const int Size = 256 * 1024;
        var version = await store.SaveAsync("pipeline", Filled(Size, 0), null);
        using var done = new CancellationTokenSource();
        var reading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var saving = 0;
        var loadsDuringSaves = 0;

        var reader = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                var loaded = await store.LoadAsync("pipeline");
                var data = loaded!.Value.Data.Span;
                Assert.Equal(Size, data.Length);
                Assert.Equal(-1, data.IndexOfAnyExcept(data[0])); // one snapshot, never a mix
                Assert.Equal(long.Parse(loaded.Value.Version, System.Globalization.CultureInfo.InvariantCulture) - 1, data[0]); // and its own version
                reading.TrySetResult();
                if (Volatile.Read(ref saving) == 1)
                {
                    Interlocked.Increment(ref loadsDuringSaves);
                }
            }
        });

        // The store saves synchronously: start saving only once the reader runs, and go on until it has read during
        // the saves (at most 250 saves: the snapshot's byte is its version).
        await reading.Task;
        Volatile.Write(ref saving, 1);
        for (var i = 1; i < 250 && (i < 40 || Volatile.Read(ref loadsDuringSaves) < 5); i++)
        {
            version = await store.SaveAsync("pipeline", Filled(Size, (byte)i), version);
        }

        await done.CancelAsync();
        await reader;
        Assert.True(loadsDuringSaves >= 5, $"only {loadsDuringSaves} loads ran during the saves");
        Assert.Equal(["pipeline.state"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public async Task FileStateStore_SaveCancelled_PreviousSnapshotIntactAndNoTemporaryFileLeft()
    {
        var store = new FileStateStore(_dir.Path);
        var version = await store.SaveAsync("pipeline", new byte[] { 1, 2, 3 }, null);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await store.SaveAsync("pipeline", Filled(1 << 20, 9), version, cancelled.Token));

        var loaded = await store.LoadAsync("pipeline");
        Assert.Equal([1, 2, 3], loaded!.Value.Data.ToArray());
        Assert.Equal(version, loaded.Value.Version);
        Assert.Single(Directory.GetFiles(_dir.Path));
    }

    [Fact]
    public async Task FileStateStore_TruncatedFile_ThrowsInvalidData()
    {
        var store = new FileStateStore(_dir.Path);
        await store.SaveAsync("pipeline", new byte[] { 1 }, null);
        await File.WriteAllBytesAsync(Path.Combine(_dir.Path, "pipeline.state"), new byte[] { 1, 0 });

        await Assert.ThrowsAsync<InvalidDataException>(async () => await store.LoadAsync("pipeline"));
    }

    [Fact]
    public void StateReader_CorruptCount_ThrowsInvalidDataWithoutAllocatingIt()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new StateWriter(buffer);
        writer.WriteInt32(int.MaxValue); // a count no snapshot this short can hold
        writer.WriteInt64(1);

        var threw = false;
        try
        {
            var reader = new StateReader(buffer.WrittenSpan);
            reader.ReadArray<long>();
        }
        catch (InvalidDataException)
        {
            threw = true;
        }

        Assert.True(threw);
    }

    [Fact]
    public void StateWriter_EveryPrimitive_ReadBackInOrder()
    {
        var buffer = new ArrayBufferWriter<byte>();
        var writer = new StateWriter(buffer);
        writer.WriteInt32(-5);
        writer.WriteInt64(long.MinValue);
        writer.WriteString("päge");
        writer.WriteBytes([1, 2]);
        writer.WriteSpan<long>([3, 4, 5]);
        writer.WriteValue((1, 2.5));

        var reader = new StateReader(buffer.WrittenSpan);
        Assert.Equal(-5, reader.ReadInt32());
        Assert.Equal(long.MinValue, reader.ReadInt64());
        Assert.Equal("päge", reader.ReadString());
        Assert.Equal([1, 2], reader.ReadBytes().ToArray());
        Assert.Equal([3L, 4L, 5L], reader.ReadArray<long>());
        Assert.Equal((1, 2.5), reader.ReadValue<(int, double)>());
        Assert.True(reader.IsEmpty);
    }

    private IStateStore Create(string kind) => kind == "file" ? new FileStateStore(_dir.Path) : new InMemoryStateStore();

    private static byte[] Filled(int size, byte value)
    {
        var bytes = new byte[size];
        Array.Fill(bytes, value);
        return bytes;
    }
}
