using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using MessagePack;
using StreamKit.Codecs;

namespace StreamKit.MessagePack;

/// <summary>Decodes a record with MessagePack-CSharp's <see cref="MessagePackSerializer"/>, for record structs annotated <c>[MessagePackObject]</c>.</summary>
/// <remarks>
/// <para>
/// Use it when your records already carry MessagePack-CSharp's attributes (<c>[MessagePackObject]</c> with <c>[Key]</c>
/// indexes or names) and their producers serialize them with <see cref="MessagePackSerializer"/>: the wire layout is
/// whatever the attributes say (arrays for integer keys, maps for string keys), exactly as the library reads it.
/// </para>
/// <para>
/// It is not the hot-path decoder. The serializer creates every string and collection it meets, and the standard
/// resolvers build formatters by reflection at first use (not trimming- or Native-AOT-safe unless you pass options
/// with a source-generated resolver). <see cref="MessagePackDecoder{T}"/> with a <see cref="Records.RecordMap{T}"/> reads
/// string-keyed maps without allocating and is the one to use for throughput.
/// </para>
/// <para>
/// A payload that the serializer rejects (truncated, malformed, a wrong type for a member, nesting over the options'
/// security limit) or that has bytes after the object is dead-lettered with the serializer's reason; nothing is thrown.
/// Thread-safe.
/// </para>
/// </remarks>
/// <typeparam name="T">The record struct, annotated for <see cref="MessagePackSerializer"/> (or handled by the options' resolver).</typeparam>
public sealed class MessagePackSerializerDecoder<T> : IRecordDecoder<T>
    where T : struct
{
    private readonly MessagePackSerializerOptions _options;

    /// <summary>Creates a decoder that deserializes with <paramref name="options"/>.</summary>
    /// <param name="options">
    /// The serializer's options; <see langword="null"/> for <see cref="MessagePackSerializerOptions.Standard"/> with
    /// <see cref="MessagePackSecurity.UntrustedData"/> (bounded nesting, collision-resistant hashing), since a stream's
    /// payloads come from outside the process.
    /// </param>
    [RequiresDynamicCode("MessagePackSerializer's standard resolvers emit formatters at run time. For Native AOT, pass options whose resolver is source-generated (mpc) and suppress this warning.")]
    [RequiresUnreferencedCode("MessagePackSerializer's standard resolvers find members by reflection, which trimming may remove. For trimmed apps, pass options whose resolver is source-generated (mpc) and suppress this warning.")]
    public MessagePackSerializerDecoder(MessagePackSerializerOptions? options = null)
    {
        _options = options ?? MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);
    }

    /// <inheritdoc />
    public bool TryDecode(ReadOnlySpan<byte> payload, ref T record, out string? error)
    {
        if (payload.IsEmpty)
        {
            error = "empty payload";
            return false;
        }

        var buffer = PayloadBuffer.Rent(payload);
        try
        {
            var reader = new MessagePackReader(buffer.AsMemory(0, payload.Length));
            var value = MessagePackSerializer.Deserialize<T>(ref reader, _options);
            if (!reader.End)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"{payload.Length - reader.Consumed} trailing bytes after the {typeof(T).Name}");
                return false;
            }

            record = value;
            error = null;
            return true;
        }
        catch (MessagePackSerializationException e)
        {
            // The serializer wraps what its formatters throw; the inner message is the one that says what was wrong.
            error = e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
            return false;
        }
        finally
        {
            PayloadBuffer.Return(buffer);
        }
    }
}
