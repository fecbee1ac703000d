using Azure;
using Azure.Core;

namespace StreamKit.Hosting.AzureFunctions.State;

/// <summary>Takes a failed storage response's error code from its <c>x-ms-error-code</c> header (HEAD answers have no body to parse).</summary>
internal sealed class StorageErrorParser : RequestFailedDetailsParser
{
    public static readonly StorageErrorParser Instance = new();

    public override bool TryParse(Response response, out ResponseError? error, out IDictionary<string, string>? data)
    {
        data = null;
        error = response.Headers.TryGetValue("x-ms-error-code", out var code) ? new ResponseError(code, response.ReasonPhrase) : null;
        return error is not null;
    }
}
