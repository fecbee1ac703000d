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

/// <summary>Reads what a <see cref="StateWriter"/> wrote, in the same order.</summary>
/// <remarks>Throws <see cref="InvalidDataException"/> on a truncated or mismatched snapshot.</remarks>
public ref struct StateReader
{
    private ReadOnlySpan<byte> _remaining;

    /// <summary>Creates a reader over a whole snapshot or one section of it.</summary>
    public StateReader(ReadOnlySpan<byte> snapshot) => _remaining = snapshot;

    /// <summary>Whether every byte has been read.</summary>
    public readonly bool IsEmpty => _remaining.IsEmpty;

    /// <summary>How many bytes are left to read.</summary>
    public readonly int Remaining => _remaining.Length;

    /// <summary>Reads a 32-bit integer.</summary>
    public int ReadInt32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));

    /// <summary>Reads a 64-bit integer.</summary>
    public long ReadInt64() => BinaryPrimitives.ReadInt64LittleEndian(Take(8));

    /// <summary>Reads a length-prefixed byte block; the span points into the snapshot.</summary>
    public ReadOnlySpan<byte> ReadBytes() => Take(ReadCount());

    /// <summary>Reads a length-prefixed UTF-8 string.</summary>
    public string ReadString() => Encoding.UTF8.GetString(ReadBytes());

    /// <summary>Reads a count-prefixed block of unmanaged values into a new array.</summary>
    public T[] ReadArray<T>()
        where T : unmanaged
    {
        var count = ReadCount();

        // Check the bytes are there before allocating: a corrupt count must fail as bad data, not as an out-of-memory.
        var length = ByteLength<T>(count);
        if (length > _remaining.Length)
        {
            throw new InvalidDataException("Truncated state snapshot.");
        }

        var result = new T[count];
        ReadInto<T>(result, count);
        return result;
    }

    /// <summary>Reads a count-prefixed block of unmanaged values into <paramref name="destination"/>, which must be large enough.</summary>
    /// <returns>How many values were read.</returns>
    public int ReadSpan<T>(scoped Span<T> destination)
        where T : unmanaged
    {
        var count = ReadCount();
        if (count > destination.Length)
        {
            throw new InvalidDataException($"State block of {count} values does not fit {destination.Length}.");
        }

        ReadInto(destination, count);
        return count;
    }

    /// <summary>Reads one unmanaged value.</summary>
    public T ReadValue<T>()
        where T : unmanaged
    {
        T value = default;
        ReadSpan(new Span<T>(ref value));
        return value;
    }

    /// <summary>Reads the count prefix of a block, checking it is plausible.</summary>
    public int ReadCount()
    {
        var count = ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException("Corrupt state snapshot: negative length.");
        }

        return count;
    }

    /// <summary>Checks a section header written with <see cref="StateWriter.WriteInt32"/>.</summary>
    public void Expect(int value, string what)
    {
        var actual = ReadInt32();
        if (actual != value)
        {
            throw new InvalidDataException($"State snapshot does not match this pipeline: {what} is {actual}, expected {value}.");
        }
    }

    private void ReadInto<T>(scoped Span<T> destination, int count)
        where T : unmanaged
    {
        var bytes = Take(ByteLength<T>(count));
        bytes.CopyTo(MemoryMarshal.AsBytes(destination[..count]));
    }

    private static int ByteLength<T>(int count)
        where T : unmanaged
    {
        var length = (long)count * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
        return length > int.MaxValue ? throw new InvalidDataException("Corrupt state snapshot: block too large.") : (int)length;
    }

    private ReadOnlySpan<byte> Take(int length)
    {
        if (length > _remaining.Length)
        {
            throw new InvalidDataException("Truncated state snapshot.");
        }

        var taken = _remaining[..length];
        _remaining = _remaining[length..];
        return taken;
    }
}

/// <summary>Something whose state goes into a pipeline checkpoint (operators, interners, user state).</summary>
/// <remarks>Snapshots are taken and restored between batches, on the processing thread.</remarks>
public interface ICheckpointed
{
    /// <summary>Writes the current state.</summary>
    void WriteState(StateWriter writer);

    /// <summary>Replaces the current state with a snapshot written by <see cref="WriteState"/>.</summary>
    void ReadState(ref StateReader reader);
}
