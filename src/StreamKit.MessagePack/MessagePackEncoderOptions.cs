namespace StreamKit.MessagePack;

/// <summary>Settings for <see cref="MessagePackEncoder{T}"/>.</summary>
public sealed class MessagePackEncoderOptions
{
    /// <summary>How timestamp fields are written.</summary>
    /// <value><see cref="MessagePackTimestampEncoding.Int64Millis"/>.</value>
    public MessagePackTimestampEncoding TimestampEncoding { get; init; } = MessagePackTimestampEncoding.Int64Millis;
}
