using Amazon.Runtime;
using Amazon.S3;

namespace StreamKit.Hosting.AwsLambda.Tests.State;

/// <summary>
/// s3rver (<c>eng/test-peers.sh start s3</c>, or <c>STREAMKIT_S3_ADDRESS</c>) with one bucket for this test run, and a
/// client configured the way an S3-compatible server needs: path-style addresses, dummy credentials, no optional checksums.
/// </summary>
public sealed class S3Peer : IDisposable
{
    public const string Collection = "s3";

    // s3rver checks SigV4 signatures against this fixed key pair.
    private static readonly BasicAWSCredentials s_credentials = new("S3RVER", "S3RVER");
    private readonly TestPeer _peer;

    public S3Peer()
    {
        _peer = new TestPeer("s3", "STREAMKIT_S3_ADDRESS");
        Bucket = $"state-{Guid.NewGuid():N}";
        Client = CreateClient(_peer.Address);
        Client.PutBucketAsync(Bucket).GetAwaiter().GetResult();
    }

    public string Address => _peer.Address;

    public string Bucket { get; }

    public IAmazonS3 Client { get; }

    /// <summary>A client for <paramref name="serviceUrl"/> (the peer, or a proxy in front of it).</summary>
    public static AmazonS3Client CreateClient(string serviceUrl) => new(s_credentials, new AmazonS3Config
    {
        ServiceURL = serviceUrl,
        ForcePathStyle = true,
        AuthenticationRegion = "us-east-1",

        // s3rver predates S3's default CRC checksums (aws-chunked bodies with trailers) and would store the framing.
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        MaxErrorRetry = 0,
    });

    public void Dispose()
    {
        Client.Dispose();
        _peer.Dispose();
    }
}

[CollectionDefinition(S3Peer.Collection)]
public sealed class S3Collection : ICollectionFixture<S3Peer>
{
}
