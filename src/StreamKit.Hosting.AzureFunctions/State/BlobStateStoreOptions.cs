using Azure.Storage.Blobs;

namespace StreamKit.Hosting.AzureFunctions.State;

/// <summary>Settings of a <see cref="BlobStateStore"/>; the inherited <see cref="BlobClientOptions"/> set retries, logging and the HTTP transport.</summary>
/// <remarks>
/// Retries follow Azure.Storage.Blobs' defaults (exponential back-off on 408, 429, 5xx and network errors). 409 and 412
/// are never retried: they are the conflicts the store reports. Request and response logging goes to the
/// <c>Azure-Core</c> event source with headers and bodies redacted by default. A store built over a
/// <see cref="BlobContainerClient"/> you made reads only <see cref="BlobPrefix"/> and <see cref="CreateContainerIfMissing"/>
/// from here: the client keeps the options it was made with.
/// </remarks>
public sealed class BlobStateStoreOptions : BlobClientOptions
{
    /// <summary>Put before every key to form the blob name, e.g. <c>"clicks/"</c>.</summary>
    /// <value>Defaults to empty.</value>
    public string BlobPrefix { get; set; } = "";

    /// <summary>Whether a save that finds the container missing creates it (once) and saves again.</summary>
    /// <value>Defaults to <see langword="true"/>. Turn it off when the identity may write blobs but not create containers.</value>
    public bool CreateContainerIfMissing { get; set; } = true;
}
