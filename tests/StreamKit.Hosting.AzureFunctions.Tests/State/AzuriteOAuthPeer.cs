using System.Security.Cryptography.X509Certificates;
using Azure.Core.Pipeline;

namespace StreamKit.Hosting.AzureFunctions.Tests.State;

/// <summary>
/// Azurite's blob service over https with its basic OAuth checks (<c>eng/test-peers.sh start azurite-oauth</c>, or
/// <c>STREAMKIT_AZURITE_OAUTH_BLOB_ENDPOINT</c>), and an HTTP transport that trusts exactly the peer's self-signed certificate.
/// </summary>
public sealed class AzuriteOAuthPeer : IDisposable
{
    public const string Collection = "azurite-oauth";
    private readonly TestPeer _peer = new("azurite-oauth", "STREAMKIT_AZURITE_OAUTH_BLOB_ENDPOINT");
    private readonly X509Certificate2 _certificate;

    public AzuriteOAuthPeer()
    {
        var cache = Environment.GetEnvironmentVariable("STREAMKIT_ENG_CACHE") is { Length: > 0 } dir ? dir : Path.Combine(_peer.RepositoryRoot, "eng", ".cache");
        _certificate = X509CertificateLoader.LoadCertificateFromFile(Path.Combine(cache, "azurite-tls", "cert.pem"));
    }

    /// <summary>The blob endpoint, <c>https://127.0.0.1:PORT/devstoreaccount1</c>.</summary>
    public string BlobEndpoint => _peer.Address;

    /// <summary>A transport pinned to the peer's certificate (thumbprint), so nothing else is trusted.</summary>
    public HttpPipelineTransport CreateTransport()
    {
        var thumbprint = _certificate.Thumbprint;
        return new HttpClientTransport(new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.Thumbprint == thumbprint,
        });
    }

    public void Dispose()
    {
        _certificate.Dispose();
        _peer.Dispose();
    }
}

[CollectionDefinition(AzuriteOAuthPeer.Collection)]
public sealed class AzuriteOAuthCollection : ICollectionFixture<AzuriteOAuthPeer>
{
}
