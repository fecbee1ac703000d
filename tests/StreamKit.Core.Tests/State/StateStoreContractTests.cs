using StreamKit.State;

namespace StreamKit.Core.Tests.State;

/// <summary>The shared store contract (tests/StreamKit.TestSupport/StateStoreContract.cs) for the core's two stores.</summary>
public sealed class InMemoryStateStoreContractTests() : ConditionalStateStoreContract(new InMemoryStateStore());

/// <summary>The shared store contract for <see cref="FileStateStore"/>, one temporary directory per test.</summary>
public sealed class FileStateStoreContractTests : ConditionalStateStoreContract, IDisposable
{
    private readonly string _directory;

    public FileStateStoreContractTests()
        : this(Path.Combine(Path.GetTempPath(), $"streamkit-state-{Guid.NewGuid():N}"))
    {
    }

    private FileStateStoreContractTests(string directory)
        : base(new FileStateStore(directory)) => _directory = directory;

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
