using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace StreamKit.State;

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
