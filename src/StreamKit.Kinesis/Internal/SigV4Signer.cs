using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace StreamKit.Kinesis.Internal;

/// <summary>
/// AWS Signature Version 4 (header form), written to AWS's published specification and checked against the
/// aws-sig-v4-test-suite vectors in the tests.
/// </summary>
/// <remarks>
/// The caller passes headers already canonical: lower-case names, sorted ordinally, values trimmed. The canonical
/// request and the string to sign are built in one pooled buffer; the signing key (four HMACs) is cached per day,
/// region, service and secret. Thread-safe.
/// </remarks>
internal sealed class SigV4Signer(string region, string service)
{
    internal const string Algorithm = "AWS4-HMAC-SHA256";
    private readonly Lock _keyLock = new();
    private (string Date, string Secret, byte[] Key)? _signingKey;

    public string Region { get; } = region;

    public string Service { get; } = service;

    /// <summary>Hex SHA-256 of a payload, as the canonical request's last line wants it.</summary>
    public static string HashHex(ReadOnlySpan<byte> payload)
    {
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(payload, hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>The <c>X-Amz-Date</c> value for <paramref name="time"/>: <c>yyyyMMddTHHmmssZ</c>.</summary>
    public static string AmzDate(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Sorts a query string's parameters by name then value (already URI-encoded), as the canonical form requires.</summary>
    public static string CanonicalQuery(string query)
    {
        if (query.Length == 0)
        {
            return "";
        }

        var pairs = query.Split('&');
        for (var i = 0; i < pairs.Length; i++)
        {
            if (!pairs[i].Contains('=', StringComparison.Ordinal))
            {
                pairs[i] += "=";
            }
        }

        Array.Sort(pairs, StringComparer.Ordinal);
        return string.Join('&', pairs);
    }

    /// <summary>The <c>Authorization</c> header value for one request.</summary>
    /// <param name="method">The HTTP method, upper case.</param>
    /// <param name="canonicalUri">The URI-encoded path (<c>/</c> for Kinesis).</param>
    /// <param name="canonicalQuery">The sorted, encoded query (see <see cref="CanonicalQuery"/>), or empty.</param>
    /// <param name="headers">The signed headers: lower-case names sorted ordinally, trimmed values; must include <c>host</c> and <c>x-amz-date</c>.</param>
    /// <param name="payloadHashHex">Hex SHA-256 of the body (<see cref="HashHex"/>).</param>
    /// <param name="amzDate">The request's <c>x-amz-date</c> value.</param>
    /// <param name="accessKey">The access key id.</param>
    /// <param name="secretKey">The secret access key.</param>
    public string Authorize(
        string method,
        string canonicalUri,
        string canonicalQuery,
        ReadOnlySpan<KeyValuePair<string, string>> headers,
        string payloadHashHex,
        string amzDate,
        string accessKey,
        string secretKey)
    {
        var date = amzDate[..8];
        var buffer = new ArrayBufferWriter<byte>(512);
        Append(buffer, method);
        Append(buffer, "\n");
        Append(buffer, canonicalUri);
        Append(buffer, "\n");
        Append(buffer, canonicalQuery);
        Append(buffer, "\n");
        var signedHeaders = new StringBuilder(64);
        foreach (var (name, value) in headers)
        {
            Append(buffer, name);
            Append(buffer, ":");
            Append(buffer, value);
            Append(buffer, "\n");
            if (signedHeaders.Length > 0)
            {
                signedHeaders.Append(';');
            }

            signedHeaders.Append(name);
        }

        Append(buffer, "\n");
        var signed = signedHeaders.ToString();
        Append(buffer, signed);
        Append(buffer, "\n");
        Append(buffer, payloadHashHex);

        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(buffer.WrittenSpan, hash);
        var scope = $"{date}/{Region}/{Service}/aws4_request";
        buffer.ResetWrittenCount();
        Append(buffer, Algorithm);
        Append(buffer, "\n");
        Append(buffer, amzDate);
        Append(buffer, "\n");
        Append(buffer, scope);
        Append(buffer, "\n");
        Append(buffer, Convert.ToHexStringLower(hash));

        Span<byte> signature = stackalloc byte[32];
        HMACSHA256.HashData(SigningKey(date, secretKey), buffer.WrittenSpan, signature);
        return $"{Algorithm} Credential={accessKey}/{scope}, SignedHeaders={signed}, Signature={Convert.ToHexStringLower(signature)}";
    }

    private byte[] SigningKey(string date, string secretKey)
    {
        lock (_keyLock)
        {
            if (_signingKey is { } cached && cached.Date == date && cached.Secret == secretKey)
            {
                return cached.Key;
            }

            var key = HMACSHA256.HashData(Encoding.UTF8.GetBytes("AWS4" + secretKey), Encoding.UTF8.GetBytes(date));
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Region));
            key = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(Service));
            key = HMACSHA256.HashData(key, "aws4_request"u8);
            _signingKey = (date, secretKey, key);
            return key;
        }
    }

    private static void Append(ArrayBufferWriter<byte> buffer, string text)
    {
        var span = buffer.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        buffer.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
