namespace StreamKit.MessagePack;

/// <summary>Settings for <see cref="MessagePackDecoder{T}"/>.</summary>
public sealed class MessagePackDecoderOptions
{
    /// <summary>The largest payload decoded; a longer one is rejected (dead-lettered) without being read.</summary>
    /// <value>1 MiB. Must be positive.</value>
    /// <remarks>Records are small; a payload this large is more likely a framing error or an attack than data.</remarks>
    public int MaxPayloadBytes { get; init; } = 1024 * 1024;
}
