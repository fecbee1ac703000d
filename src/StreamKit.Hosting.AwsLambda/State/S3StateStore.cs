using System.Net;
using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;
using StreamKit.State;

namespace StreamKit.Hosting.AwsLambda.State;

/// <summary>State in an S3 bucket, one object per key, written with S3's conditional PUT so that two writers cannot both win.</summary>
/// <remarks>
/// <para>
/// The version is the object's ETag. <see cref="SaveAsync"/> sends <c>If-None-Match: *</c> when it expects no object and
/// <c>If-Match: &lt;etag&gt;</c> otherwise; S3 answers 412 Precondition Failed (or 409 ConditionalRequestConflict when
/// another write to the key is in flight), which surfaces as <see cref="StateConflictException"/>. S3 has honoured these
/// headers on PUT since August 2024; S3-compatible servers may ignore them (s3rver does), and then a stale writer silently
/// overwrites newer state: check yours before relying on it.
/// </para>
/// <para>
/// A single-part object's ETag is the MD5 of its bytes, so saving the same bytes twice gives the same version. That is
/// harmless here (equal bytes are equal state), but do not read a version change as "someone saved".
/// </para>
/// <para>Thread-safe; every call is one S3 request (plus the SDK's retries).</para>
/// </remarks>
public sealed class S3StateStore : IStateStore, IDisposable
{
    private readonly IAmazonS3 _client;
    private readonly bool _ownsClient;
    private readonly string _bucketName;
    private readonly string _keyPrefix;

    /// <summary>Creates a store over an existing client, which the caller keeps and disposes.</summary>
    /// <param name="client">The S3 client (region, credentials, endpoint as the caller configured them).</param>
    /// <param name="bucketName">The bucket; it must exist (the store never creates buckets).</param>
    /// <param name="keyPrefix">Put before every key, e.g. <c>"streamkit/clicks/"</c>; include the trailing '/' if you want one.</param>
    public S3StateStore(IAmazonS3 client, string bucketName, string? keyPrefix = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(bucketName);
        _client = client;
        _bucketName = bucketName;
        _keyPrefix = keyPrefix ?? "";
    }

    /// <summary>Creates a store with its own client built from <paramref name="config"/> and the default credential chain (in Lambda: the function's role).</summary>
    /// <param name="config">Region, endpoint (<c>ServiceURL</c>, <c>ForcePathStyle</c> for S3-compatible servers), retries.</param>
    /// <param name="bucketName">The bucket; it must exist.</param>
    /// <param name="keyPrefix">Put before every key.</param>
    /// <remarks>The client is disposed with the store. Build the store once per process, not per invocation: the client holds the connection pool.</remarks>
    public S3StateStore(AmazonS3Config config, string bucketName, string? keyPrefix = null)
        : this(new AmazonS3Client(config ?? throw new ArgumentNullException(nameof(config))), bucketName, keyPrefix) => _ownsClient = true;

    /// <inheritdoc />
    public async ValueTask<StoredState?> LoadAsync(string key, CancellationToken cancellationToken = default)
    {
        var request = new GetObjectRequest { BucketName = _bucketName, Key = ObjectKey(key) };
        GetObjectResponse response;
        try
        {
            response = await _client.GetObjectAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        using (response)
        {
            var data = new byte[checked((int)response.ContentLength)];
            await response.ResponseStream.ReadExactlyAsync(data, cancellationToken).ConfigureAwait(false);
            return new StoredState(data, response.ETag);
        }
    }

    /// <inheritdoc />
    /// <remarks>One HEAD request (GetObjectMetadata): no body is transferred.</remarks>
    public async ValueTask<string?> GetVersionAsync(string key, CancellationToken cancellationToken = default)
    {
        var request = new GetObjectMetadataRequest { BucketName = _bucketName, Key = ObjectKey(key) };
        try
        {
            var response = await _client.GetObjectMetadataAsync(request, cancellationToken).ConfigureAwait(false);
            return response.ETag;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <inheritdoc />
    /// <remarks>A conditional PUT of the whole snapshot (single part: up to 5 GiB).</remarks>
    public async ValueTask<string> SaveAsync(string key, ReadOnlyMemory<byte> data, string? expectedVersion, CancellationToken cancellationToken = default)
    {
        var objectKey = ObjectKey(key);
        using var body = MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);
        var request = new PutObjectRequest
        {
            BucketName = _bucketName,
            Key = objectKey,
            InputStream = body,
            AutoCloseStream = false,
            ContentType = "application/octet-stream",

            // The body is in memory with a known length: one plain signed body, no aws-chunked framing.
            UseChunkEncoding = false,
        };
        if (expectedVersion is null)
        {
            request.IfNoneMatch = "*";
        }
        else
        {
            request.IfMatch = expectedVersion;
        }

        try
        {
            var response = await _client.PutObjectAsync(request, cancellationToken).ConfigureAwait(false);
            return response.ETag;
        }
        catch (AmazonS3Exception e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict
            || (e.StatusCode == HttpStatusCode.NotFound && expectedVersion is not null && e.ErrorCode == "NoSuchKey"))
        {
            throw new StateConflictException(
                $"State '{key}' (s3://{_bucketName}/{objectKey}) is not at version {expectedVersion ?? "(none)"}: another writer saved it ({(int)e.StatusCode} {e.ErrorCode}).", e);
        }
    }

    /// <summary>Disposes the client if this store created it.</summary>
    public void Dispose()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }
    }

    private string ObjectKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        return _keyPrefix + key;
    }
}
