using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using StreamKit.State;

namespace StreamKit.Hosting.AzureFunctions.State;

/// <summary>State in an Azure Blob Storage container, one block blob per key, written conditionally on its ETag.</summary>
/// <remarks>
/// <para>
/// Speaks the Blob REST API through Azure.Core's <see cref="HttpPipeline"/> (retries, logging, transport) without
/// Azure.Storage.Blobs. The version is the blob's ETag. <see cref="SaveAsync"/> is one Put Blob with <c>If-None-Match: *</c>
/// when it expects no blob and <c>If-Match: &lt;etag&gt;</c> otherwise, so the service decides atomically which of two
/// racing writers wins; the loser gets <see cref="StateConflictException"/>. <see cref="GetVersionAsync"/> is a HEAD.
/// </para>
/// <para>
/// Authorisation: Shared Key from a connection string (including <c>UseDevelopmentStorage=true</c> for Azurite), or a
/// <see cref="TokenCredential"/> (managed identity in Functions) for the scope <c>https://storage.azure.com/.default</c>,
/// which needs an https endpoint and a role that can write blobs (Storage Blob Data Contributor).
/// </para>
/// <para>A snapshot goes in one Put Blob, so it must stay under the service's single-put limit (5000 MiB). Thread-safe.</para>
/// </remarks>
public sealed class BlobStateStore : IStateStore
{
    // Every operation used here exists since long before this version; newer ones only raise the single-put size.
    private const string ServiceVersion = "2021-08-06";
    private const string TokenScope = "https://storage.azure.com/.default";

    private readonly HttpPipeline _pipeline;
    private readonly Uri _container;
    private readonly string _prefix;
    private readonly bool _createContainer;

    /// <summary>Creates a store for container <paramref name="containerName"/> of the account in <paramref name="connectionString"/>, signing with its account key.</summary>
    /// <param name="connectionString"><c>UseDevelopmentStorage=true</c> or <c>DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...</c> (with <c>EndpointSuffix</c> or <c>BlobEndpoint</c> where needed).</param>
    /// <param name="containerName">The container (3–63 lower-case letters, digits and hyphens); created on first save when missing.</param>
    /// <param name="options">Prefix, container creation, retries, logging, transport.</param>
    /// <exception cref="FormatException">The connection string lacks the account name or key, or holds a SAS.</exception>
    public BlobStateStore(string connectionString, string containerName, BlobStateStoreOptions? options = null)
        : this(Parse(connectionString, containerName, out var account), new SharedKeyPolicy(account.AccountName, account.AccountKey), options)
    {
    }

    /// <summary>Creates a store for the container at <paramref name="containerUri"/>, authorised with OAuth tokens from <paramref name="credential"/>.</summary>
    /// <param name="containerUri">E.g. <c>https://ACCOUNT.blob.core.windows.net/state</c>; must be https (tokens are never sent in clear).</param>
    /// <param name="credential">E.g. a managed identity credential from Azure.Identity.</param>
    /// <param name="options">Prefix, container creation, retries, logging, transport.</param>
    public BlobStateStore(Uri containerUri, TokenCredential credential, BlobStateStoreOptions? options = null)
        : this(containerUri, new BearerTokenAuthenticationPolicy(credential ?? throw new ArgumentNullException(nameof(credential)), TokenScope), options)
    {
        if (containerUri.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("Token authorisation needs an https container URI.", nameof(containerUri));
        }
    }

    private BlobStateStore(Uri containerUri, HttpPipelinePolicy authorisation, BlobStateStoreOptions? options)
    {
        ArgumentNullException.ThrowIfNull(containerUri);
        options ??= new BlobStateStoreOptions();
        _container = new Uri(containerUri.GetLeftPart(UriPartial.Path).TrimEnd('/'));
        _prefix = options.BlobPrefix ?? "";
        _createContainer = options.CreateContainerIfMissing;
        _pipeline = HttpPipelineBuilder.Build(options, [], [authorisation], new ResponseClassifier());
    }

    /// <inheritdoc />
    public async ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Get, BlobUri(key));
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        return response.Status switch
        {
            200 => new StoredState(response.Content.ToMemory(), ETag(response)),
            404 => null,
            _ => throw Failed(response),
        };
    }

    /// <inheritdoc />
    /// <remarks>One HEAD request (Get Blob Properties): no body is transferred.</remarks>
    public async ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default)
    {
        using var message = CreateMessage(RequestMethod.Head, BlobUri(key));
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;
        return response.Status switch
        {
            200 => ETag(response),
            404 => null,
            _ => throw Failed(response),
        };
    }

    /// <inheritdoc />
    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        var blob = BlobUri(key);
        for (var attempt = 0; ; attempt++)
        {
            using var message = CreateMessage(RequestMethod.Put, blob);
            var request = message.Request;
            request.Headers.SetValue("x-ms-blob-type", "BlockBlob");
            request.Headers.SetValue("Content-Type", "application/octet-stream");
            request.Headers.SetValue(expectedVersion is null ? "If-None-Match" : "If-Match", expectedVersion ?? "*");
            request.Content = RequestContent.Create(data);
            await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);

            var response = message.Response;
            var error = ErrorCode(response);
            switch (response.Status)
            {
                case 201:
                    return ETag(response);
                case 412:
                case 409 when error == "BlobAlreadyExists":
                case 404 when error == "BlobNotFound" && expectedVersion is not null:
                    throw new StateConflictException(
                        $"State '{key}' ({blob}) is not at version {expectedVersion ?? "(none)"}: another writer saved it ({response.Status} {error}).");
                case 404 when error == "ContainerNotFound" && _createContainer && attempt == 0:
                    await CreateContainerAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    throw Failed(response);
            }
        }
    }

    private async ValueTask CreateContainerAsync(CancellationToken cancellationToken)
    {
        using var message = CreateMessage(RequestMethod.Put, new Uri(_container.AbsoluteUri + "?restype=container"));
        await _pipeline.SendAsync(message, cancellationToken).ConfigureAwait(false);
        var response = message.Response;

        // 409: another instance created it first, which is as good.
        if (response.Status is not (201 or 409))
        {
            throw Failed(response);
        }
    }

    private HttpMessage CreateMessage(RequestMethod method, Uri uri)
    {
        var message = _pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri.Reset(uri);
        message.Request.Headers.SetValue("x-ms-version", ServiceVersion);
        return message;
    }

    private Uri BlobUri(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);

        // Escape each path segment; '/' stays a separator (virtual directories in the portal and listings).
        var name = new StringBuilder(_container.AbsoluteUri, _container.AbsoluteUri.Length + _prefix.Length + key.Length + 16);
        foreach (var segment in (_prefix + key).Split('/'))
        {
            name.Append('/').Append(Uri.EscapeDataString(segment));
        }

        return new Uri(name.ToString());
    }

    private static string ETag(Response response) =>
        response.Headers.TryGetValue("ETag", out var etag) ? etag : throw new RequestFailedException(response.Status, "The blob service sent no ETag.");

    private static string? ErrorCode(Response response) => response.Headers.TryGetValue("x-ms-error-code", out var code) ? code : null;

    private static RequestFailedException Failed(Response response) => new(response, null, StorageErrorParser.Instance);

    private static Uri Parse(string connectionString, string containerName, out StorageConnectionString account)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(containerName);
        account = StorageConnectionString.Parse(connectionString);
        return new Uri(account.BlobEndpoint.AbsoluteUri.TrimEnd('/') + "/" + Uri.EscapeDataString(containerName));
    }
}
