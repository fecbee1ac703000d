using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Core;
using StreamKit.Hosting.AzureFunctions.State;
using StreamKit.State;

namespace StreamKit.Hosting.AzureFunctions.Tests.State;

/// <summary>
/// Token authorisation against Azurite over https with <c>--oauth basic</c>: Azurite checks each bearer token's issuer,
/// audience and lifetime (not its signature, which only Entra ID could make), so these tests show the store asks for the
/// storage scope and sends the token on every request, not that a real identity is accepted.
/// </summary>
[Collection(AzuriteOAuthPeer.Collection)]
[Trait("Category", "Integration")]
public sealed class BlobStateStoreTokenTests(AzuriteOAuthPeer azurite)
{
    [Fact]
    public async Task Token_SaveLoadHeadAndConflict_WorkAndAskForTheStorageScope()
    {
        var credential = new JwtCredential(expiresIn: TimeSpan.FromHours(1));
        var store = new BlobStateStore(ContainerUri(), credential, new BlobStateStoreOptions { Transport = azurite.CreateTransport() });

        var first = await store.SaveAsync("clicks-0", "one"u8.ToArray(), expectedVersion: null);
        var second = await store.SaveAsync("clicks-0", "two"u8.ToArray(), first);

        Assert.Equal(second, await store.GetVersionAsync("clicks-0"));
        Assert.Equal("two"u8.ToArray(), (await store.LoadAsync("clicks-0"))!.Value.Data.ToArray());
        await Assert.ThrowsAsync<StateConflictException>(async () => await store.SaveAsync("clicks-0", "three"u8.ToArray(), first));
        Assert.Equal(["https://storage.azure.com/.default"], credential.Scopes.Distinct());
    }

    [Fact]
    public async Task Token_Expired_IsRefusedByTheService()
    {
        var store = new BlobStateStore(ContainerUri(), new JwtCredential(expiresIn: TimeSpan.FromHours(-1)), new BlobStateStoreOptions
        {
            Transport = azurite.CreateTransport(),
            Retry = { MaxRetries = 0 },
        });

        var error = await Assert.ThrowsAsync<RequestFailedException>(async () => await store.LoadAsync("clicks-0"));

        Assert.Equal(403, error.Status);
    }

    private Uri ContainerUri() => new($"{azurite.BlobEndpoint}/state-{Guid.NewGuid():N}");

    /// <summary>Issues unsigned JWTs shaped like Entra ID's for storage; records the scopes it was asked for.</summary>
    private sealed class JwtCredential(TimeSpan expiresIn) : TokenCredential
    {
        public ConcurrentQueue<string> Scopes { get; } = new();

        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
        {
            foreach (var scope in requestContext.Scopes)
            {
                Scopes.Enqueue(scope);
            }

            var now = DateTimeOffset.UtcNow;
            var payload = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["aud"] = "https://storage.azure.com",
                ["iss"] = $"https://sts.windows.net/{Guid.NewGuid()}/",
                ["nbf"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
                ["iat"] = now.AddMinutes(-5).ToUnixTimeSeconds(),
                ["exp"] = now.Add(expiresIn).ToUnixTimeSeconds(),
            });
            var token = $"{Base64Url("{\"alg\":\"RS256\",\"typ\":\"JWT\"}")}.{Base64Url(payload)}.{Base64Url("not-signed")}";

            // The policy caches the token until shortly before this time; the JWT's own exp is what Azurite checks.
            return new AccessToken(token, now.AddHours(1));
        }

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));

        private static string Base64Url(string text) => Convert.ToBase64String(Encoding.UTF8.GetBytes(text)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
