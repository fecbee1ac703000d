using System.Text;

namespace StreamKit.Records;

/// <summary>One field of a <see cref="RecordMap{T}"/>: its name, kind, and how to set and get it.</summary>
/// <remarks>Codecs call the typed <c>Set*</c>/<c>Get*</c> methods matching <see cref="Kind"/>; calling another one throws.</remarks>
public sealed class RecordField<T>
    where T : struct
{
    private readonly Delegate? _setter;
    private readonly Delegate? _getter;
    private readonly int _minimum; // an Int32 field's range: narrower for a byte field
    private readonly int _maximum;

    internal RecordField(string name, FieldKind kind, Delegate? setter, Delegate? getter, bool required, int index, int minimum = int.MinValue, int maximum = int.MaxValue)
    {
        _minimum = minimum;
        _maximum = maximum;
        Name = name;
        Utf8Name = Encoding.UTF8.GetBytes(name);
        Kind = kind;
        _setter = setter;
        _getter = getter;
        IsRequired = required && setter is not null;
        Index = index;
    }

    /// <summary>The field's name as it appears on the wire (JSON property, MessagePack map key, Avro field name).</summary>
    public string Name { get; }

    /// <summary>The name's UTF-8 bytes, for allocation-free matching.</summary>
    public ReadOnlyMemory<byte> Utf8Name { get; }

    /// <summary>The field's logical type.</summary>
    public FieldKind Kind { get; }

    /// <summary>Whether a record lacking this field is malformed (dead-lettered) rather than left at its default.</summary>
    public bool IsRequired { get; }

    /// <summary>The field's position in its map, below 64.</summary>
    public int Index { get; }

    /// <summary>Whether decoders can store this field (it has a setter).</summary>
    public bool CanSet => _setter is not null;

    /// <summary>Whether encoders can write this field (it has a getter).</summary>
    public bool CanGet => _getter is not null;

    /// <summary>Stores an integer; <see cref="FieldKind.Int32"/> fields range-check it (0 to 255 for a byte field).</summary>
    /// <returns><see langword="false"/> when the value does not fit the field.</returns>
    public bool SetInt64(ref T record, long value)
    {
        switch (Kind)
        {
            case FieldKind.Int64:
            case FieldKind.TimestampMillis:
                ((FieldSetter<T, long>)_setter!)(ref record, value);
                return true;
            case FieldKind.Int32:
                if (value < _minimum || value > _maximum)
                {
                    return false;
                }

                ((FieldSetter<T, int>)_setter!)(ref record, (int)value);
                return true;
            case FieldKind.Double:
                ((FieldSetter<T, double>)_setter!)(ref record, value);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Stores a float into a <see cref="FieldKind.Double"/> field; integer fields accept only integral values.</summary>
    /// <returns><see langword="false"/> when the value does not fit the field.</returns>
    public bool SetDouble(ref T record, double value)
    {
        if (Kind == FieldKind.Double)
        {
            ((FieldSetter<T, double>)_setter!)(ref record, value);
            return true;
        }

        // An integer field accepts 3.0 but not 3.5 or NaN: silently truncating would corrupt keys.
        return Kind is FieldKind.Int32 or FieldKind.Int64 or FieldKind.TimestampMillis
            && Math.Floor(value) == value
            && value is >= long.MinValue and < 9.2233720368547758E18
            && SetInt64(ref record, (long)value);
    }

    /// <summary>Stores a boolean.</summary>
    /// <returns><see langword="false"/> when the field is not boolean.</returns>
    public bool SetBoolean(ref T record, bool value)
    {
        if (Kind != FieldKind.Boolean)
        {
            return false;
        }

        ((FieldSetter<T, bool>)_setter!)(ref record, value);
        return true;
    }

    /// <summary>Stores a UTF-8 string.</summary>
    /// <returns><see langword="false"/> when the field is not a string or its setter rejects the value.</returns>
    public bool SetString(ref T record, ReadOnlySpan<byte> utf8) =>
        Kind == FieldKind.String && ((Utf8FieldSetter<T>)_setter!)(ref record, utf8);

    /// <summary>Reads an <see cref="FieldKind.Int32"/> field.</summary>
    public int GetInt32(in T record) => ((FieldGetter<T, int>)_getter!)(in record);

    /// <summary>Reads an <see cref="FieldKind.Int64"/> or <see cref="FieldKind.TimestampMillis"/> field.</summary>
    public long GetInt64(in T record) => ((FieldGetter<T, long>)_getter!)(in record);

    /// <summary>Reads a <see cref="FieldKind.Double"/> field.</summary>
    public double GetDouble(in T record) => ((FieldGetter<T, double>)_getter!)(in record);

    /// <summary>Reads a <see cref="FieldKind.Boolean"/> field.</summary>
    public bool GetBoolean(in T record) => ((FieldGetter<T, bool>)_getter!)(in record);

    /// <summary>Reads a <see cref="FieldKind.String"/> field as UTF-8.</summary>
    public ReadOnlySpan<byte> GetString(in T record) => ((Utf8FieldGetter<T>)_getter!)(in record);
}
