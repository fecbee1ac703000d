using System.Buffers.Text;
using System.Text;
using StreamKit.State;

namespace StreamKit.Runtime;

/// <summary>
/// A record's place in its partition, the one position model of both runners: an unsigned decimal number of any
/// length, totally ordered by value, or <see cref="None"/> (before every record).
/// </summary>
/// <remarks>
/// <para>Kafka and file offsets and Event Hubs sequence numbers fit a <see langword="long"/> and are kept inline, so
/// comparing and copying them never allocates. Kinesis sequence numbers (56 digits today, up to 129 by the API) do not
/// fit even 128 bits; they are kept as their digits without leading zeros, in an array that is created once when a
/// position is kept (once per partition and batch), never per record: per record, runners compare a record's digits
/// in place with <see cref="CompareTo(long, ReadOnlySpan{byte})"/>.</para>
/// <para>The order is numeric: a value that fits a <see langword="long"/> is below every value that does not, and
/// digit strings of equal length compare byte by byte.</para>
/// </remarks>
internal readonly struct StreamPosition : IComparable<StreamPosition>, IEquatable<StreamPosition>
{
    /// <summary>The <see cref="_value"/> of <see cref="None"/>.</summary>
    private const long NoneValue = long.MinValue;

    /// <summary>The <see cref="_value"/> of a position held in <see cref="_digits"/>.</summary>
    private const long Large = -1;

    private readonly long _value;
    private readonly byte[]? _digits;

    private StreamPosition(long value, byte[]? digits)
    {
        _value = value;
        _digits = digits;
    }

    /// <summary>Before every record: what a partition's applied position is until its first record.</summary>
    public static StreamPosition None => new(NoneValue, null);

    /// <summary>Whether this is <see cref="None"/>.</summary>
    public bool IsNone => _value == NoneValue;

    /// <summary>The position of an offset or sequence number that fits a <see langword="long"/>.</summary>
    /// <param name="value">Non-negative; <see cref="long.MinValue"/> is read as <see cref="None"/> (how runner checkpoints store it).</param>
    public static StreamPosition FromInt64(long value)
    {
        if (value < 0 && value != NoneValue)
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "A position is never negative.");
        }

        return new(value, null);
    }

    /// <summary>The position of a sequence number given as normalized ASCII digits (see <see cref="Normalize"/>).</summary>
    /// <remarks>Allocates only when the value does not fit a <see langword="long"/>.</remarks>
    public static StreamPosition FromDigits(ReadOnlySpan<byte> digits)
    {
        var value = ToInt64(digits);
        return value >= 0 ? new(value, null) : new(Large, digits.ToArray());
    }

    /// <summary>Like <see cref="FromDigits(ReadOnlySpan{byte})"/>, but writes into <paramref name="reuse"/>'s digits when they have the same length.</summary>
    /// <remarks>
    /// For a position kept in one place and replaced batch after batch (a partition's applied position): Kinesis sequence
    /// numbers of a shard have one length, so replacing it allocates nothing. <paramref name="reuse"/> must not be kept
    /// anywhere else: it changes.
    /// </remarks>
    public static StreamPosition FromDigits(ReadOnlySpan<byte> digits, in StreamPosition reuse)
    {
        if (reuse._digits is { } buffer && buffer.Length == digits.Length && ToInt64(digits) < 0)
        {
            digits.CopyTo(buffer);
            return reuse;
        }

        return FromDigits(digits);
    }

    /// <summary>The digits without leading zeros ("0" stays "0").</summary>
    /// <exception cref="FormatException">Empty, or a character that is not a digit.</exception>
    public static ReadOnlySpan<byte> Normalize(ReadOnlySpan<byte> digits)
    {
        if (digits.IsEmpty)
        {
            throw new FormatException("A sequence number is empty.");
        }

        if (digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            throw new FormatException($"Sequence number '{Encoding.UTF8.GetString(digits)}' is not an unsigned decimal number.");
        }

        var start = digits.IndexOfAnyExcept((byte)'0');
        return start < 0 ? digits[^1..] : digits[start..];
    }

    /// <summary>The value of normalized digits as a <see langword="long"/>, or -1 when it does not fit.</summary>
    public static long ToInt64(ReadOnlySpan<byte> digits) =>
        digits.Length <= 19 && Utf8Parser.TryParse(digits, out long value, out var consumed) && consumed == digits.Length ? value : Large;

    /// <summary>The value when it fits a <see langword="long"/>; <see cref="long.MinValue"/> for <see cref="None"/>, -1 for a larger value.</summary>
    /// <remarks>What sources that count in <see langword="long"/> offsets are given, and <see cref="DeadLetter.Position"/>.</remarks>
    public long ToInt64() => _value;

    /// <summary>Compares a record's position with this one, without allocating: the hot path's comparison.</summary>
    /// <param name="value">The record's position when it fits a <see langword="long"/>, else -1.</param>
    /// <param name="digits">The record's normalized digits; read only when <paramref name="value"/> is -1.</param>
    /// <returns>Below zero when the record comes before this position, zero when equal, above zero after it.</returns>
    public int CompareTo(long value, ReadOnlySpan<byte> digits) => Compare(value, digits, _value, _digits);

    /// <inheritdoc />
    public int CompareTo(StreamPosition other) => Compare(_value, _digits, other._value, other._digits);

    /// <summary>Compares two positions given as a value (-1 when it does not fit a <see langword="long"/>) and normalized digits (read only then).</summary>
    public static int Compare(long left, ReadOnlySpan<byte> leftDigits, long right, ReadOnlySpan<byte> rightDigits)
    {
        if (left != Large && right != Large)
        {
            return left.CompareTo(right);
        }

        if (left != Large || right != Large)
        {
            return left == Large ? 1 : -1;
        }

        return leftDigits.Length != rightDigits.Length ? leftDigits.Length.CompareTo(rightDigits.Length) : leftDigits.SequenceCompareTo(rightDigits);
    }

    /// <inheritdoc />
    public bool Equals(StreamPosition other) => CompareTo(other) == 0;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is StreamPosition other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        if (_digits is null)
        {
            return _value.GetHashCode();
        }

        var hash = default(HashCode);
        hash.AddBytes(_digits);
        return hash.ToHashCode();
    }

    /// <summary>The decimal digits, or "none".</summary>
    public override string ToString() =>
        _digits is not null ? Encoding.ASCII.GetString(_digits) : IsNone ? "none" : _value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The digits as a string when the value does not fit a <see langword="long"/>, else <see langword="null"/> (for <see cref="DeadLetter.Sequence"/>).</summary>
    public string? ToLargeString() => _digits is null ? null : Encoding.ASCII.GetString(_digits);

    /// <summary>Writes the position as digits (empty for <see cref="None"/>): the layout of invocation snapshots.</summary>
    public void WriteDigits(StateWriter writer)
    {
        if (_digits is not null)
        {
            writer.WriteBytes(_digits);
            return;
        }

        Span<byte> digits = stackalloc byte[20];
        var written = 0;
        if (!IsNone)
        {
            Utf8Formatter.TryFormat(_value, digits, out written);
        }

        writer.WriteBytes(digits[..written]);
    }

    /// <summary>Reads what <see cref="WriteDigits"/> wrote.</summary>
    public static StreamPosition ReadDigits(ref StateReader reader)
    {
        var digits = reader.ReadBytes();
        return digits.IsEmpty ? None : FromDigits(Normalize(digits));
    }
}
