using Azure;
using Azure.Core;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using StreamKit.State;

namespace StreamKit.Hosting.AzureFunctions.State;

/// <summary>State in an Azure Blob Storage container, one block blob per key, written conditionally on its ETag.</summary>
/// <remarks>
/// <para>
/// Built on Azure.Storage.Blobs' <see cref="BlobContainerClient"/>. The version is the blob's ETag. <see cref="SaveAsync"/>
/// uploads with <see cref="MatchConditions.IfNoneMatch"/> = <see cref="ETag.All"/> when it expects no blob and
/// <see cref="MatchConditions.IfMatch"/> = the expected ETag otherwise, so the service decides atomically which of
/// two racing writers wins; the loser gets <see cref="StateConflictException"/>. <see cref="GetVersionAsync"/> reads the
/// blob's properties (a HEAD request, no body).
/// </para>
/// <para>
/// Authorisation: whatever the connection string holds (Shared Key, SAS, or <c>UseDevelopmentStorage=true</c> for
/// Azurite), a <see cref="TokenCredential"/> (managed identity in Functions; scope <c>https://storage.azure.com/.default</c>,
/// https only, the identity needs Storage Blob Data Contributor), or a <see cref="BlobContainerClient"/> you made.
/// </para>
/// <para>
/// A snapshot goes in one Put Blob up to the client's single-upload size (<see cref="Azure.Storage.StorageTransferOptions.InitialTransferSize"/>);
/// a larger one goes as staged blocks committed under the same condition. Thread-safe.
/// </para>
/// </remarks>
public sealed class BlobStateStore : IStateStore
{
    private static readonly BlobHttpHeaders s_octetStream = new() { ContentType = "application/octet-stream" };
    private readonly BlobContainerClient _container;
    private readonly string _prefix;
    private readonly bool _createContainer;

    /// <summary>Creates a store for container <paramref name="containerName"/> of the account in <paramref name="connectionString"/>.</summary>
    /// <param name="connectionString">
    /// <c>UseDevelopmentStorage=true</c>, <c>DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...</c> (with
    /// <c>EndpointSuffix</c> or <c>BlobEndpoint</c> where needed), or one with a <c>SharedAccessSignature</c>; parsed by Azure.Storage.Blobs.
    /// </param>
    /// <param name="containerName">The container (3–63 lower-case letters, digits and hyphens); created on first save when missing.</param>
    /// <param name="options">Prefix, container creation, retries, logging, transport.</param>
    /// <exception cref="FormatException">The connection string names no usable account or endpoint.</exception>
    public BlobStateStore(string connectionString, string containerName, BlobStateStoreOptions? options = null)
        : this(new BlobContainerClient(connectionString, Required(containerName), options ??= new BlobStateStoreOptions()), options)
    {
    }

    /// <summary>Creates a store for the container at <paramref name="containerUri"/>, authorised with OAuth tokens from <paramref name="credential"/>.</summary>
    /// <param name="containerUri">E.g. <c>https://ACCOUNT.blob.core.windows.net/state</c>; must be https (tokens are never sent in clear).</param>
    /// <param name="credential">E.g. a managed identity credential from Azure.Identity.</param>
    /// <param name="options">Prefix, container creation, retries, logging, transport.</param>
    /// <exception cref="ArgumentException"><paramref name="containerUri"/> is not https.</exception>
    public BlobStateStore(Uri containerUri, TokenCredential credential, BlobStateStoreOptions? options = null)
        : this(new BlobContainerClient(Https(containerUri), credential ?? throw new ArgumentNullException(nameof(credential)), options ??= new BlobStateStoreOptions()), options)
    {
    }

    /// <summary>Creates a store over a container client you configured (credential, endpoint, pipeline options).</summary>
    /// <param name="container">The container the blobs go in; the client's own options (retries, transport) apply.</param>
    /// <param name="options">Only <see cref="BlobStateStoreOptions.BlobPrefix"/> and <see cref="BlobStateStoreOptions.CreateContainerIfMissing"/> are read.</param>
    public BlobStateStore(BlobContainerClient container, BlobStateStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(container);
        _container = container;
        _prefix = options?.BlobPrefix ?? "";
        _createContainer = options?.CreateContainerIfMissing ?? true;
    }

    /// <inheritdoc />
    /// <remarks>One Get Blob; the content and the ETag come from the same response.</remarks>
    public async ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        var blob = Blob(key);
        try
        {
            var result = (await blob.DownloadContentAsync(cancellationToken).ConfigureAwait(false)).Value;
            return new StoredState(result.Content.ToMemory(), result.Details.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // BlobNotFound or ContainerNotFound: no state yet. Once per partition on a cold start, not per batch.
            return null;
        }
    }

    /// <inheritdoc />
    /// <remarks>One HEAD request (Get Blob Properties): no body is transferred.</remarks>
    public async ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default)
    {
        var blob = Blob(key);
        try
        {
            return (await blob.GetPropertiesAsync(cancellationToken: cancellationToken).ConfigureAwait(false)).Value.ETag.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <inheritdoc />
    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        var blob = Blob(key);
        var upload = new BlobUploadOptions
        {
            HttpHeaders = s_octetStream,
            Conditions = expectedVersion is null ? new BlobRequestConditions { IfNoneMatch = ETag.All } : new BlobRequestConditions { IfMatch = new ETag(expectedVersion) },
        };
        var content = BinaryData.FromBytes(data);
        try
        {
            return await UploadAsync(blob, key, content, upload, expectedVersion, cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (_createContainer && e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
            // Another instance may create it at the same moment; CreateIfNotExists takes that as done.
            await _container.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        }

        return await UploadAsync(blob, key, content, upload, expectedVersion, cancellationToken).ConfigureAwait(false);
    }

    private static async ValueTask<string> UploadAsync(BlobClient blob, string key, BinaryData content, BlobUploadOptions upload, string? expectedVersion, CancellationToken cancellationToken)
    {
        try
        {
            return (await blob.UploadAsync(content, upload, cancellationToken).ConfigureAwait(false)).Value.ETag.ToString();
        }
        catch (RequestFailedException e) when (IsConflict(e, expectedVersion))
        {
            throw new StateConflictException(
                $"State '{key}' ({blob.Uri}) is not at version {expectedVersion ?? "(none)"}: another writer saved it ({e.Status} {e.ErrorCode}).",
                e);
        }
    }

    private static bool IsConflict(RequestFailedException e, string? expectedVersion) =>
        e.Status == 412
        || (e.Status == 409 && e.ErrorCode == BlobErrorCode.BlobAlreadyExists)
        || (e.Status == 404 && e.ErrorCode == BlobErrorCode.BlobNotFound && expectedVersion is not null);

    private BlobClient Blob(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _container.GetBlobClient(_prefix + key);
    }

    private static string Required(string containerName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(containerName);
        return containerName;
    }

    private static Uri Https(Uri containerUri)
    {
        ArgumentNullException.ThrowIfNull(containerUri);
        return containerUri.Scheme == Uri.UriSchemeHttps ? containerUri : throw new ArgumentException("Token authorisation needs an https container URI.", nameof(containerUri));
    }
}
