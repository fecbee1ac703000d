namespace StreamKit.Records;

/// <summary>The logical type of a mapped field; codecs translate it to their own wire types.</summary>
public enum FieldKind
{
    /// <summary>A 32-bit signed integer. Decoders accept any wire integer that fits.</summary>
    Int32,

    /// <summary>A 64-bit signed integer.</summary>
    Int64,

    /// <summary>A 64-bit float. Decoders accept integers and floats.</summary>
    Double,

    /// <summary>A boolean.</summary>
    Boolean,

    /// <summary>A UTF-8 string.</summary>
    String,

    /// <summary>Milliseconds since the Unix epoch, UTC (Avro <c>timestamp-millis</c>, MessagePack timestamp extension).</summary>
    TimestampMillis,
}
