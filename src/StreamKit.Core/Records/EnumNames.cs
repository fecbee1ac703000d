using System.Buffers.Text;
using System.Text;
using System.Text.Json;

namespace StreamKit.Records;

/// <summary>An enum's members and their UTF-8 wire names, for <see cref="RecordMap{T}.Enum"/>.</summary>
/// <remarks>Built once per field; lookups compare bytes and allocate nothing except for a value that is not a declared member.</remarks>
internal sealed class EnumNames<TEnum>
    where TEnum : struct, Enum
{
    private readonly TEnum[] _values;
    private readonly byte[][] _names;

    public EnumNames(JsonNamingPolicy? naming)
    {
        // The generic overloads keep this trimming- and AOT-safe: no reflection over the enum type.
        _values = System.Enum.GetValues<TEnum>();
        var names = System.Enum.GetNames<TEnum>();
        _names = new byte[names.Length][];
        for (var i = 0; i < names.Length; i++)
        {
            _names[i] = Encoding.UTF8.GetBytes(naming?.ConvertName(names[i]) ?? names[i]);
        }
    }

    public bool TryParse(ReadOnlySpan<byte> utf8, out TEnum value)
    {
        for (var i = 0; i < _names.Length; i++)
        {
            if (utf8.SequenceEqual(_names[i]) || Ascii.EqualsIgnoreCase(_names[i], utf8))
            {
                value = _values[i];
                return true;
            }
        }

        // A number, as an undeclared value is written (System.Text.Json's enum converter accepts them too). Boxes:
        // only for values the enum does not declare.
        if (utf8.Length > 0 && (char.IsAsciiDigit((char)utf8[0]) || utf8[0] == (byte)'-')
            && Utf8Parser.TryParse(utf8, out long number, out var consumed) && consumed == utf8.Length)
        {
            value = (TEnum)System.Enum.ToObject(typeof(TEnum), number);
            return true;
        }

        value = default;
        return false;
    }

    public ReadOnlySpan<byte> GetName(TEnum value)
    {
        for (var i = 0; i < _values.Length; i++)
        {
            if (EqualityComparer<TEnum>.Default.Equals(_values[i], value))
            {
                return _names[i];
            }
        }

        // An undeclared value (a flags combination, a newer member) is written as its number rather than lost.
        return Encoding.UTF8.GetBytes(value.ToString("D"));
    }
}
