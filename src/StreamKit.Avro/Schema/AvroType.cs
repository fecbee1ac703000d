namespace StreamKit.Avro.Schema;

/// <summary>The Avro schema types, primitive and complex.</summary>
public enum AvroType
{
    /// <summary>No value; zero bytes on the wire.</summary>
    Null,

    /// <summary>One byte, 0 or 1.</summary>
    Boolean,

    /// <summary>A 32-bit signed integer, zigzag varint.</summary>
    Int,

    /// <summary>A 64-bit signed integer, zigzag varint.</summary>
    Long,

    /// <summary>A 32-bit IEEE 754 float, little-endian.</summary>
    Float,

    /// <summary>A 64-bit IEEE 754 float, little-endian.</summary>
    Double,

    /// <summary>A long length followed by that many bytes.</summary>
    Bytes,

    /// <summary>A long length followed by that many UTF-8 bytes.</summary>
    String,

    /// <summary>Named fields, encoded one after another in schema order.</summary>
    Record,

    /// <summary>A named set of symbols, encoded as the int index of the symbol.</summary>
    Enum,

    /// <summary>Blocks of items, each block a long count (negative: followed by a byte size), ending with a zero count.</summary>
    Array,

    /// <summary>Blocks of string keys and values, framed like arrays.</summary>
    Map,

    /// <summary>A long branch index followed by the value of that branch.</summary>
    Union,

    /// <summary>A named fixed number of bytes.</summary>
    Fixed,
}
