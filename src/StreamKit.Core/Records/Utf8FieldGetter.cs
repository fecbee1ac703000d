namespace StreamKit.Records;

/// <summary>Returns a UTF-8 string field for encoding.</summary>
/// <remarks>The span must stay valid until the encoder returns: a <c>u8</c> literal or interned bytes are ideal.</remarks>
public delegate ReadOnlySpan<byte> Utf8FieldGetter<T>(in T record);
