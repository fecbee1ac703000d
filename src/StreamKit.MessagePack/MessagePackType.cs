namespace StreamKit.MessagePack;

/// <summary>The family of a MessagePack value, as told by its first byte.</summary>
/// <remarks>Several wire formats share a family (fixint, uint8…64 and int8…64 are all <see cref="Integer"/>).</remarks>
public enum MessagePackType
{
    /// <summary>The byte <c>0xc1</c>, which the specification reserves as never used: the data is invalid.</summary>
    Invalid,

    /// <summary>Nil (<c>0xc0</c>).</summary>
    Nil,

    /// <summary>True or false.</summary>
    Boolean,

    /// <summary>A signed or unsigned integer of any width.</summary>
    Integer,

    /// <summary>A 32- or 64-bit IEEE 754 float.</summary>
    Float,

    /// <summary>A UTF-8 string (fixstr, str8/16/32).</summary>
    String,

    /// <summary>A byte array (bin8/16/32).</summary>
    Binary,

    /// <summary>An array (fixarray, array16/32).</summary>
    Array,

    /// <summary>A map (fixmap, map16/32).</summary>
    Map,

    /// <summary>An extension value (fixext, ext8/16/32), including the timestamp extension (type -1).</summary>
    Extension,
}
