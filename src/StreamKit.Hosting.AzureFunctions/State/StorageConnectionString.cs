namespace StreamKit.Hosting.AzureFunctions.State;

/// <summary>The parts of an Azure Storage connection string the blob store uses: the blob endpoint and the Shared Key.</summary>
/// <remarks>
/// Accepts <c>UseDevelopmentStorage=true</c> (Azurite's well-known account on 127.0.0.1:10000) and the account form
/// <c>DefaultEndpointsProtocol=https;AccountName=...;AccountKey=...[;EndpointSuffix=...][;BlobEndpoint=...]</c>.
/// SAS connection strings are rejected: the store signs every request with the account key.
/// </remarks>
internal sealed record StorageConnectionString(Uri BlobEndpoint, string AccountName, byte[] AccountKey)
{
    public const string DevelopmentAccountName = "devstoreaccount1";

    // Azurite's and the old storage emulator's published, well-known development key.
    public const string DevelopmentAccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    public static StorageConnectionString Parse(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        var settings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var part in connectionString.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new FormatException($"Storage connection string: '{Redact(part)}' is not 'Name=value'.");
            }

            settings[part[..equals].Trim()] = part[(equals + 1)..].Trim();
        }

        if (settings.TryGetValue("UseDevelopmentStorage", out var development) && bool.TryParse(development, out var useDevelopment) && useDevelopment)
        {
            var endpoint = settings.TryGetValue("BlobEndpoint", out var blob) ? blob : $"http://127.0.0.1:10000/{DevelopmentAccountName}";
            return new StorageConnectionString(ParseEndpoint(endpoint), DevelopmentAccountName, Convert.FromBase64String(DevelopmentAccountKey));
        }

        if (settings.ContainsKey("SharedAccessSignature"))
        {
            throw new FormatException("Storage connection string: SharedAccessSignature connection strings are not supported; give AccountName and AccountKey, or use a container URI with a TokenCredential.");
        }

        if (!settings.TryGetValue("AccountName", out var accountName) || accountName.Length == 0)
        {
            throw new FormatException("Storage connection string: AccountName is missing.");
        }

        if (!settings.TryGetValue("AccountKey", out var accountKey) || accountKey.Length == 0)
        {
            throw new FormatException("Storage connection string: AccountKey is missing.");
        }

        byte[] key;
        try
        {
            key = Convert.FromBase64String(accountKey);
        }
        catch (FormatException e)
        {
            throw new FormatException("Storage connection string: AccountKey is not base64.", e);
        }

        Uri blobEndpoint;
        if (settings.TryGetValue("BlobEndpoint", out var explicitEndpoint))
        {
            blobEndpoint = ParseEndpoint(explicitEndpoint);
        }
        else
        {
            var protocol = settings.TryGetValue("DefaultEndpointsProtocol", out var p) ? p.ToLowerInvariant() : "https";
            if (protocol is not ("https" or "http"))
            {
                throw new FormatException($"Storage connection string: DefaultEndpointsProtocol must be https or http, not '{protocol}'.");
            }

            var suffix = settings.TryGetValue("EndpointSuffix", out var s) ? s : "core.windows.net";
            blobEndpoint = ParseEndpoint($"{protocol}://{accountName}.blob.{suffix}");
        }

        return new StorageConnectionString(blobEndpoint, accountName, key);
    }

    private static Uri ParseEndpoint(string endpoint) =>
        Uri.TryCreate(endpoint.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"Storage connection string: '{endpoint}' is not an http(s) endpoint.");

    private static string Redact(string part) => part.Length > 12 ? part[..12] + "..." : part;
}
