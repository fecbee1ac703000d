using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Sas;
using StreamKit.Hosting.AzureFunctions.State;
using StreamKit.State;

namespace StreamKit.Hosting.AzureFunctions.Tests.State;

/// <summary>The whole store contract, conditional writes included, against Azurite.</summary>
[Collection(AzuritePeer.Collection)]
[Trait("Category", "Integration")]
public sealed class BlobStateStoreContractTests(AzuritePeer azurite)
    : ConditionalStateStoreContract(new BlobStateStore(azurite.ConnectionString, "contract", new BlobStateStoreOptions { BlobPrefix = "streamkit/" }));

/// <summary>What the contract does not cover: racing writers, container creation, authorisation, the ways to build a store.</summary>
[Collection(AzuritePeer.Collection)]
[Trait("Category", "Integration")]
public sealed class BlobStateStoreTests(AzuritePeer azurite)
{
    private const int Rounds = 20;

    [Fact]
    public async Task Save_TwoWritersRacingFromOneVersion_ExactlyOneWinsAndTheBlobIsItsWholeSnapshot()
    {
        var container = AzuritePeer.NewContainer();
        var a = new BlobStateStore(azurite.ConnectionString, container);
        var b = new BlobStateStore(azurite.ConnectionString, container);
        var key = "race/clicks-0";
        var version = await a.SaveAsync(key, Snapshot(1000, 0), expectedVersion: null);

        for (var round = 1; round <= Rounds; round++)
        {
            var fromA = Snapshot(512 * 1024, round * 2);
            var fromB = Snapshot(512 * 1024, (round * 2) + 1);

            var results = await Task.WhenAll(TrySaveAsync(a, key, fromA, version), TrySaveAsync(b, key, fromB, version));

            var winners = results.Where(r => r is not null).ToArray();
            Assert.Single(winners);
            var stored = await a.LoadAsync(key);
            Assert.Equal(winners[0], stored!.Value.Version);
            Assert.Equal(results[0] is not null ? fromA : fromB, stored.Value.Data.ToArray());
            version = winners[0]!;
        }
    }

    [Fact]
    public async Task Save_TwoWritersRacingToCreate_ExactlyOneWins()
    {
        var container = AzuritePeer.NewContainer();
        var a = new BlobStateStore(azurite.ConnectionString, container);
        var b = new BlobStateStore(azurite.ConnectionString, container);
        await a.SaveAsync("warm-up", Snapshot(1, 0), expectedVersion: null);

        for (var round = 1; round <= Rounds; round++)
        {
            var key = $"create-race/{round}";
            var fromA = Snapshot(64 * 1024, round * 2);
            var fromB = Snapshot(64 * 1024, (round * 2) + 1);

            var results = await Task.WhenAll(TrySaveAsync(a, key, fromA, null), TrySaveAsync(b, key, fromB, null));

            Assert.Single(results, r => r is not null);
            Assert.Equal(results[0] is not null ? fromA : fromB, (await b.LoadAsync(key))!.Value.Data.ToArray());
        }
    }

    [Fact]
    public async Task Save_ContainerMissing_CreatesItOnce()
    {
        var container = AzuritePeer.NewContainer();
        var store = new BlobStateStore(azurite.ConnectionString, container);
        Assert.Null(await store.LoadAsync("k"));
        Assert.Null(await store.GetVersionAsync("k"));

        var version = await store.SaveAsync("k", Snapshot(10, 1), expectedVersion: null);

        Assert.Equal(version, await new BlobStateStore(azurite.ConnectionString, container).GetVersionAsync("k"));
    }

    [Fact]
    public async Task Save_ContainerMissingAndCreationOff_FailsWithTheServiceError()
    {
        var store = new BlobStateStore(azurite.ConnectionString, AzuritePeer.NewContainer(), new BlobStateStoreOptions { CreateContainerIfMissing = false });

        var error = await Assert.ThrowsAsync<RequestFailedException>(async () => await store.SaveAsync("k", Snapshot(10, 1), expectedVersion: null));

        Assert.Equal(404, error.Status);
        Assert.Equal("ContainerNotFound", error.ErrorCode);
    }

    [Fact]
    public async Task Load_WrongAccountKey_IsRefusedByTheService()
    {
        var wrongKey = Convert.ToBase64String(Snapshot(64, 9));
        var store = new BlobStateStore(azurite.ConnectionStringWith(wrongKey), "contract", new BlobStateStoreOptions { Retry = { MaxRetries = 0 } });

        var error = await Assert.ThrowsAsync<RequestFailedException>(async () => await store.LoadAsync("k"));

        Assert.Equal(403, error.Status);
    }

    [Fact]
    public async Task Keys_WithSpacesAndUnicode_RoundTrip()
    {
        var store = new BlobStateStore(azurite.ConnectionString, "contract");
        var key = $"odd keys/{Guid.NewGuid():N} é+%?#&=ü";

        var version = await store.SaveAsync(key, Snapshot(10, 4), expectedVersion: null);

        Assert.Equal(version, await store.GetVersionAsync(key));
        Assert.Equal(Snapshot(10, 4), (await store.LoadAsync(key))!.Value.Data.ToArray());
    }

    [Fact]
    public async Task ContainerClient_WithPrefix_SavesOneBlobUnderThePrefix()
    {
        var container = new BlobContainerClient(azurite.ConnectionString, AzuritePeer.NewContainer());
        var store = new BlobStateStore(container, new BlobStateStoreOptions { BlobPrefix = "jobs/clicks/" });

        var version = await store.SaveAsync("0", Snapshot(10, 5), expectedVersion: null);

        var properties = (await container.GetBlobClient("jobs/clicks/0").GetPropertiesAsync()).Value;
        Assert.Equal(version, properties.ETag.ToString());
        Assert.Equal("application/octet-stream", properties.ContentType);
        Assert.Equal(Snapshot(10, 5), (await store.LoadAsync("0"))!.Value.Data.ToArray());
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SaveAsync("0", Snapshot(10, 6), expectedVersion: null));
    }

    [Fact]
    public async Task ConnectionString_WithSas_SavesLoadsAndConflicts()
    {
        var name = AzuritePeer.NewContainer();
        var owner = new BlobContainerClient(azurite.ConnectionString, name);
        await owner.CreateAsync();
        var sas = owner.GenerateSasUri(BlobContainerSasPermissions.Read | BlobContainerSasPermissions.Write | BlobContainerSasPermissions.Create, DateTimeOffset.UtcNow.AddHours(1));
        var store = new BlobStateStore($"BlobEndpoint={azurite.BlobEndpoint};SharedAccessSignature={sas.Query.TrimStart('?')}", name);

        var first = await store.SaveAsync("k", Snapshot(10, 1), expectedVersion: null);
        var second = await store.SaveAsync("k", Snapshot(10, 2), first);

        Assert.Equal(second, await store.GetVersionAsync("k"));
        Assert.Equal(Snapshot(10, 2), (await store.LoadAsync("k"))!.Value.Data.ToArray());
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SaveAsync("k", Snapshot(10, 3), first));
    }

    private static byte[] Snapshot(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static async Task<string?> TrySaveAsync(IStateStore store, string key, byte[] data, string? expected)
    {
        try
        {
            return await store.SaveAsync(key, data, expected);
        }
        catch (StateConflictException)
        {
            return null;
        }
    }
}

/// <summary>Construction and connection strings: no service needed.</summary>
public sealed class BlobStateStoreConfigurationTests
{
    [Theory]
    [InlineData("just text")]
    [InlineData("AccountName=a")]
    [InlineData("DefaultEndpointsProtocol=https;AccountKey=AAAA")]
    public void ConnectionString_WithoutAnAccountOrEndpoint_IsRefused(string connectionString) =>
        Assert.Throws<FormatException>(() => new BlobStateStore(connectionString, "state"));

    [Fact]
    public void ContainerName_Empty_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new BlobStateStore("UseDevelopmentStorage=true", " "));

    [Fact]
    public void TokenCredential_PlainHttpContainer_IsRefused() =>
        Assert.Throws<ArgumentException>(() => new BlobStateStore(new Uri("http://127.0.0.1:10000/devstoreaccount1/state"), new NoCredential()));

    private sealed class NoCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new InvalidOperationException();

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) => throw new InvalidOperationException();
    }
}
