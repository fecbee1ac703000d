using System.Buffers;

namespace StreamKit.Codecs;

/// <summary>Writes one record in a wire format.</summary>
/// <remarks>Called per output record: must not allocate once its output buffer has grown to size.</remarks>
/// <typeparam name="T">The record struct.</typeparam>
public interface IRecordEncoder<T>
{
    /// <summary>Appends the encoding of <paramref name="record"/> to <paramref name="output"/>.</summary>
    /// <remarks>Framing (a newline for JSON lines) is part of the encoding.</remarks>
    void Encode(in T record, IBufferWriter<byte> output);
}
