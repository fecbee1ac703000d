using System.Text.Json;
using System.Text.Unicode;
using StreamKit.Records;

namespace StreamKit.Codecs;

/// <content>
/// The flat path: a scanner for the common shape of an event, one object of scalars whose strings have no escapes,
/// which stores fields as it goes and hands anything else to <see cref="Utf8JsonReader"/>.
/// </content>
/// <remarks>
/// Decoding a 103-byte click event took about 18,400 instructions on the reader's path and 7,700 through the scanner
/// (callgrind, full JIT optimisation): most of the reader's work is generality a flat object of scalars does not need.
/// The scanner accepts only what it can prove is valid JSON and gives the same record or the same reason as the
/// reader; at anything else (an escape, a nested value, a non-ASCII name, a syntax error, trailing content) it stops
/// before the property it cannot read, and the reader resumes there, skipping the properties already stored, so every
/// setter still runs once per property.
/// </remarks>
public sealed partial class JsonLinesDecoder<T>
{
    private const int MaxOrdered = 64;

    private enum FlatResult
    {
        Decoded,
        Rejected,
        NeedsReader,
    }

    private FlatResult DecodeFlat(ReadOnlySpan<byte> json, ref T record, ref ulong seen, out int resumeAt, out string? error)
    {
        error = null;
        resumeAt = 0;
        var i = SkipWhitespace(json, 0);
        if (i >= json.Length || json[i] != (byte)'{')
        {
            return FlatResult.NeedsReader;
        }

        i = SkipWhitespace(json, i + 1);
        if (i < json.Length && json[i] == (byte)'}')
        {
            i++;
        }
        else
        {
            for (var position = 0; ; position++)
            {
                resumeAt = i;
                if (i >= json.Length || json[i] != (byte)'"')
                {
                    return FlatResult.NeedsReader;
                }

                var nameStart = i + 1;
                i = ScanString(json, nameStart, out var ascii);
                if (i < 0 || !ascii)
                {
                    return FlatResult.NeedsReader;
                }

                var index = Find(json[nameStart..i], position);
                i = SkipWhitespace(json, i + 1);
                if (i >= json.Length || json[i] != (byte)':')
                {
                    return FlatResult.NeedsReader;
                }

                i = SkipWhitespace(json, i + 1);
                var end = index < 0 ? SkipValue(json, i) : StoreValue(json, i, _fields[index], ref record, ref seen, out error);
                if (end < 0)
                {
                    return error is null ? FlatResult.NeedsReader : FlatResult.Rejected;
                }

                i = SkipWhitespace(json, end);
                if (i >= json.Length)
                {
                    resumeAt = i;
                    return FlatResult.NeedsReader;
                }

                if (json[i] == (byte)'}')
                {
                    i++;
                    break;
                }

                if (json[i] != (byte)',')
                {
                    // Leave the reader the property after the bad separator: it reports the separator.
                    resumeAt = i;
                    return FlatResult.NeedsReader;
                }

                i = SkipWhitespace(json, i + 1);
            }
        }

        if (SkipWhitespace(json, i) != json.Length)
        {
            resumeAt = i;
            return FlatResult.NeedsReader;
        }

        if (_map.FirstMissing(seen) is { } missing)
        {
            error = $"missing field '{missing}'";
            return FlatResult.Rejected;
        }

        return FlatResult.Decoded;
    }

    /// <summary>Finds the settable field named <paramref name="name"/>, trying first the one found at this position in the last record.</summary>
    /// <returns>Its index in <see cref="_fields"/>, or -1 for a property to skip.</returns>
    private int Find(ReadOnlySpan<byte> name, int position)
    {
        var order = _order;
        if ((uint)position < (uint)order.Length)
        {
            var predicted = order[position];
            if (predicted >= 0 && name.SequenceEqual(_names[predicted]))
            {
                return predicted;
            }
        }

        var found = -1;
        var names = _names;
        for (var i = 0; i < names.Length; i++)
        {
            if (name.SequenceEqual(names[i]))
            {
                found = i;
                break;
            }
        }

        if ((uint)position < (uint)order.Length)
        {
            order[position] = found;
        }

        return found;
    }

    /// <summary>Stores the scalar at <paramref name="i"/> into <paramref name="field"/> and marks it in <paramref name="seen"/>; <c>null</c> leaves both as they are.</summary>
    /// <returns>The offset after the value; -1 with <paramref name="error"/> set for a value the field rejects, -1 without it for one the reader must read.</returns>
    private int StoreValue(ReadOnlySpan<byte> json, int i, RecordField<T> field, ref T record, ref ulong seen, out string? error)
    {
        error = null;
        if (i >= json.Length)
        {
            return -1;
        }

        int end;
        JsonTokenType token;
        bool stored;
        switch (json[i])
        {
            case (byte)'"':
                // An ISO 8601 timestamp is parsed by the reader.
                end = ScanString(json, i + 1, out var ascii);
                if (end < 0 || field.Kind == FieldKind.TimestampMillis || !IsDelimited(json, end + 1))
                {
                    return -1;
                }

                var text = json[(i + 1)..end];
                if (!ascii && !Utf8.IsValid(text))
                {
                    return -1;
                }

                end++;
                token = JsonTokenType.String;
                stored = field.SetString(ref record, text);
                break;
            case (byte)'t':
                end = ScanLiteral(json, i, "true"u8);
                if (end < 0)
                {
                    return -1;
                }

                token = JsonTokenType.True;
                stored = field.SetBoolean(ref record, true);
                break;
            case (byte)'f':
                end = ScanLiteral(json, i, "false"u8);
                if (end < 0)
                {
                    return -1;
                }

                token = JsonTokenType.False;
                stored = field.SetBoolean(ref record, false);
                break;
            case (byte)'n':
                return ScanLiteral(json, i, "null"u8); // null counts as absent
            default:
                end = ScanNumber(json, i, out var simple, out var integer);
                if (end < 0)
                {
                    return -1;
                }

                token = JsonTokenType.Number;
                if (simple)
                {
                    stored = field.SetInt64(ref record, integer);
                }
                else
                {
                    // A fraction, an exponent or 19 digits and more: the reader's own conversions, on the number alone.
                    var reader = new Utf8JsonReader(json[i..end]);
                    reader.Read();
                    stored = Set(field, ref reader, ref record);
                }

                break;
        }

        if (!stored)
        {
            error = InvalidValue(field, token);
            return -1;
        }

        seen |= 1UL << field.Index;
        return end;
    }

    /// <summary>Skips the scalar at <paramref name="i"/> of a property no field takes.</summary>
    /// <returns>The offset after it, or -1 for a value the reader must skip (a nested value, an escape, non-ASCII text, bad syntax).</returns>
    private static int SkipValue(ReadOnlySpan<byte> json, int i)
    {
        if (i >= json.Length)
        {
            return -1;
        }

        switch (json[i])
        {
            case (byte)'"':
                var end = ScanString(json, i + 1, out var ascii);
                return end >= 0 && ascii && IsDelimited(json, end + 1) ? end + 1 : -1;
            case (byte)'t':
                return ScanLiteral(json, i, "true"u8);
            case (byte)'f':
                return ScanLiteral(json, i, "false"u8);
            case (byte)'n':
                return ScanLiteral(json, i, "null"u8);
            default:
                return ScanNumber(json, i, out _, out _);
        }
    }

    /// <summary>Finds the closing quote of a string whose text starts at <paramref name="i"/>.</summary>
    /// <returns>The quote's offset, or -1 for an escape, a control character or no closing quote.</returns>
    private static int ScanString(ReadOnlySpan<byte> json, int i, out bool ascii)
    {
        var high = 0;
        for (; (uint)i < (uint)json.Length; i++)
        {
            var b = json[i];
            if ((uint)(b - 0x20) < 0x60 && b != (byte)'"' && b != (byte)'\\')
            {
                continue;
            }

            if (b == (byte)'"')
            {
                ascii = high == 0;
                return i;
            }

            if (b < 0x80)
            {
                break; // a backslash or a control character
            }

            high = b;
        }

        ascii = false;
        return -1;
    }

    /// <summary>Checks a JSON number at <paramref name="i"/> against the grammar, reading a plain integer of up to 18 digits as it goes.</summary>
    /// <returns>The offset after the number, or -1 when it is not one followed by a delimiter.</returns>
    private static int ScanNumber(ReadOnlySpan<byte> json, int i, out bool simple, out long integer)
    {
        simple = false;
        integer = 0;
        var negative = i < json.Length && json[i] == (byte)'-';
        if (negative)
        {
            i++;
        }

        var digitsStart = i;
        var value = 0L;
        if (i < json.Length && json[i] == (byte)'0')
        {
            i++;
        }
        else
        {
            for (uint digit; i < json.Length && (digit = (uint)(json[i] - '0')) <= 9; i++)
            {
                value = unchecked((value * 10) + digit); // wraps past 18 digits, where it is not used
            }

            if (i == digitsStart)
            {
                return -1;
            }
        }

        var plain = i - digitsStart <= 18;
        if (i < json.Length && json[i] == (byte)'.')
        {
            i = SkipDigits(json, i + 1);
            if (i < 0)
            {
                return -1;
            }

            plain = false;
        }

        if (i < json.Length && (json[i] | 0x20) == (byte)'e')
        {
            i++;
            if (i < json.Length && json[i] is (byte)'+' or (byte)'-')
            {
                i++;
            }

            i = SkipDigits(json, i);
            if (i < 0)
            {
                return -1;
            }

            plain = false;
        }

        if (!IsDelimited(json, i))
        {
            return -1;
        }

        simple = plain;
        integer = negative ? -value : value;
        return i;
    }

    /// <summary>Skips one or more digits.</summary>
    /// <returns>The offset after them, or -1 when there is none.</returns>
    private static int SkipDigits(ReadOnlySpan<byte> json, int i)
    {
        var start = i;
        while (i < json.Length && (uint)(json[i] - '0') <= 9)
        {
            i++;
        }

        return i > start ? i : -1;
    }

    private static int ScanLiteral(ReadOnlySpan<byte> json, int i, ReadOnlySpan<byte> literal)
    {
        var end = i + literal.Length;
        return json[i..].StartsWith(literal) && IsDelimited(json, end) ? end : -1;
    }

    /// <summary>Whether a value ending at <paramref name="i"/> is followed by what may follow a value in an object (whitespace, a comma, a closing brace).</summary>
    private static bool IsDelimited(ReadOnlySpan<byte> json, int i) =>
        i < json.Length && json[i] is (byte)',' or (byte)'}' or (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static int SkipWhitespace(ReadOnlySpan<byte> json, int i)
    {
        while (i < json.Length && json[i] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            i++;
        }

        return i;
    }
}
