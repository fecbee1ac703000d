using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace StreamKit.State;

/// <summary>Writes a state snapshot: little-endian primitives and raw blocks of unmanaged structs.</summary>
/// <remarks>
/// Snapshots copy memory images of unmanaged structs, so they are read back only by the same build of the same
/// pipeline on a little-endian machine; each section carries a version so a changed layout fails loudly on
/// restore instead of producing wrong numbers.
/// </remarks>
public sealed class StateWriter
{
    private readonly IBufferWriter<byte> _output;

    /// <summary>Creates a writer appending to <paramref name="output"/>.</summary>
    public StateWriter(IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _output = output;
    }

    /// <summary>Writes a 32-bit integer.</summary>
    public void WriteInt32(int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(_output.GetSpan(4), value);
        _output.Advance(4);
    }

    /// <summary>Writes a 64-bit integer.</summary>
    public void WriteInt64(long value)
    {
        BinaryPrimitives.WriteInt64LittleEndian(_output.GetSpan(8), value);
        _output.Advance(8);
    }

    /// <summary>Writes a length-prefixed byte block.</summary>
    public void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        WriteInt32(bytes.Length);
        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }

    /// <summary>Writes a length-prefixed UTF-8 string.</summary>
    public void WriteString(string value) => WriteBytes(Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a count-prefixed block of unmanaged values as their memory image.</summary>
    public void WriteSpan<T>(ReadOnlySpan<T> values)
        where T : unmanaged
    {
        WriteInt32(values.Length);
        var bytes = MemoryMarshal.AsBytes(values);
        bytes.CopyTo(_output.GetSpan(bytes.Length));
        _output.Advance(bytes.Length);
    }

    /// <summary>Writes one unmanaged value as its memory image.</summary>
    public void WriteValue<T>(in T value)
        where T : unmanaged => WriteSpan(new ReadOnlySpan<T>(in value));
}
