
namespace StreamKit.Hosting.AzureFunctions.Tests.State;

/// <summary>
/// Azurite's blob service (<c>eng/test-peers.sh start azurite</c>, or <c>STREAMKIT_AZURITE_BLOB_ENDPOINT</c>): the
/// development account at a loopback endpoint, reached with a Shared Key connection string.
/// </summary>
public sealed class AzuritePeer : IDisposable
{
    public const string Collection = "azurite";
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly TestPeer _peer = new("azurite", "STREAMKIT_AZURITE_BLOB_ENDPOINT");

    /// <summary>The blob endpoint, <c>http://127.0.0.1:PORT/devstoreaccount1</c>.</summary>
    public string BlobEndpoint => _peer.Address;

    public string ConnectionString => ConnectionStringWith(AccountKey);

    public string ConnectionStringWith(string accountKey) =>
        $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={accountKey};BlobEndpoint={BlobEndpoint};";

    /// <summary>A container name no other test uses (the store creates it on first save).</summary>
    public static string NewContainer() => $"state-{Guid.NewGuid():N}";

    public void Dispose() => _peer.Dispose();
}

[CollectionDefinition(AzuritePeer.Collection)]
public sealed class AzuriteCollection : ICollectionFixture<AzuritePeer>
{
}
