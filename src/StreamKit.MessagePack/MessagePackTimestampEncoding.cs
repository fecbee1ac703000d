namespace StreamKit.MessagePack;

/// <summary>How <see cref="MessagePackEncoder{T}"/> writes <see cref="Records.FieldKind.TimestampMillis"/> fields.</summary>
public enum MessagePackTimestampEncoding
{
    /// <summary>An integer of milliseconds since the Unix epoch: readable by any MessagePack library, and what most JSON-minded consumers expect.</summary>
    Int64Millis,

    /// <summary>The timestamp extension (type -1) in its smallest form; libraries that know it (python-msgpack, MessagePack-CSharp) read a date-time.</summary>
    Extension,
}
