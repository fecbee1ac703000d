using System.Buffers;

namespace StreamKit.MessagePack;

/// <summary>Cuts a stream of concatenated MessagePack objects (a <c>.msgpack</c> file, a socket) into one object per record, without decoding them.</summary>
/// <remarks>
/// <para>
/// MessagePack needs no delimiter between objects: each one's length follows from its headers. A reader keeps a
/// buffer of unread bytes, calls <see cref="TryGetObjectLength(ReadOnlySpan{byte}, out int)"/>, hands
/// <c>buffer[..length]</c> to a decoder on <see cref="OperationStatus.Done"/>, reads more on
/// <see cref="OperationStatus.NeedMoreData"/> (at the end of the stream that means the last object is truncated),
/// and stops on <see cref="OperationStatus.InvalidData"/>: past a malformed object the boundary of the next one is
/// unknowable, so the rest of the stream cannot be cut.
/// </para>
/// <para>
/// Each call walks the headers from the start of the buffer, so an object that arrives in many small reads is
/// walked once per read: read in chunks larger than a typical record. Allocation-free and thread-safe.
/// </para>
/// </remarks>
public static class MessagePackFraming
{
    /// <summary>Finds the length of the first complete MessagePack object in <paramref name="buffer"/>.</summary>
    /// <param name="buffer">Unread bytes starting at an object boundary.</param>
    /// <param name="length">The first object's length in bytes on <see cref="OperationStatus.Done"/>; otherwise 0.</param>
    /// <returns>
    /// <see cref="OperationStatus.Done"/> when a whole object is present; <see cref="OperationStatus.NeedMoreData"/> when
    /// the buffer ends inside it (or is empty); <see cref="OperationStatus.InvalidData"/> for the reserved byte
    /// <c>0xc1</c>, containers nested deeper than <see cref="MessagePackReader.MaxDepth"/>, or an object that cannot
    /// fit in a span.
    /// </returns>
    public static OperationStatus TryGetObjectLength(ReadOnlySpan<byte> buffer, out int length) =>
        TryGetObjectLength(buffer, int.MaxValue, out length);

    /// <summary>Finds the length of the first complete MessagePack object, rejecting objects longer than <paramref name="maxObjectLength"/>.</summary>
    /// <param name="buffer">Unread bytes starting at an object boundary.</param>
    /// <param name="maxObjectLength">The longest object accepted, in bytes. Headers are checked against it before the data arrives, so a hostile length cannot make the caller buffer gigabytes.</param>
    /// <param name="length">The first object's length in bytes on <see cref="OperationStatus.Done"/>; otherwise 0.</param>
    /// <returns>As <see cref="TryGetObjectLength(ReadOnlySpan{byte}, out int)"/>, plus <see cref="OperationStatus.InvalidData"/> once the object is known to exceed <paramref name="maxObjectLength"/>.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxObjectLength"/> is not positive.</exception>
    public static OperationStatus TryGetObjectLength(ReadOnlySpan<byte> buffer, int maxObjectLength, out int length)
    {
        if (maxObjectLength <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(maxObjectLength), "The maximum object length must be positive.");
        }

        length = 0;
        var position = 0;
        var status = MessagePackReader.SkipValue(buffer, ref position, 0, out var required);
        switch (status)
        {
            case OperationStatus.Done when position <= maxObjectLength:
                length = position;
                return OperationStatus.Done;
            case OperationStatus.NeedMoreData when required <= maxObjectLength:
                return OperationStatus.NeedMoreData;
            default:
                return OperationStatus.InvalidData;
        }
    }
}
