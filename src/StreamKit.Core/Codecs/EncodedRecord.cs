namespace StreamKit.Codecs;

/// <summary>Helpers for sinks that send each encoded record as one message.</summary>
public static class EncodedRecord
{
    /// <summary>The encoding without its line ending (<c>\n</c> or <c>\r\n</c>): a JSON lines encoder frames records for files, a message needs no frame.</summary>
    public static ReadOnlySpan<byte> WithoutLineEnd(ReadOnlySpan<byte> encoded) =>
        encoded.Length > 0 && encoded[^1] == (byte)'\n'
            ? encoded[..^(encoded.Length > 1 && encoded[^2] == (byte)'\r' ? 2 : 1)]
            : encoded;
}
