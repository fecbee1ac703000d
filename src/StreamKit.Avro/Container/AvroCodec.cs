namespace StreamKit.Avro.Container;

/// <summary>The block compression codecs of an object container file.</summary>
public enum AvroCodec
{
    /// <summary>Blocks are stored uncompressed (<c>avro.codec</c> = <c>null</c>).</summary>
    Null,

    /// <summary>Blocks are raw deflate (RFC 1951, no zlib header) (<c>avro.codec</c> = <c>deflate</c>).</summary>
    Deflate,
}
