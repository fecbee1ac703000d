using System.Globalization;
using System.Text.Unicode;
using MessagePack;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.MessagePack;

/// <summary>Decodes a record from a MessagePack map whose keys are the field names of a <see cref="RecordMap{T}"/>, reading what a plain scan cannot with MessagePack-CSharp's <see cref="MessagePackReader"/>.</summary>
/// <remarks>
/// <para>
/// The payload must be exactly one map. Keys are matched by name, in any order, as bytes (no string is
/// created); keys the map does not know (or that are not strings) are skipped with their values, nested up
/// to <see cref="MessagePackFraming.MaxDepth"/> deep. Integers of any wire width and floats go through the field's
/// setters, which range-check them (an <see cref="FieldKind.Int32"/> field rejects 2^31, an integer field rejects
/// 3.5). Strings must be valid UTF-8. A timestamp extension fills a <see cref="FieldKind.TimestampMillis"/> field
/// with milliseconds (sub-millisecond precision is truncated); such a field also accepts plain integer milliseconds.
/// A nil value counts as the field being absent.
/// </para>
/// <para>
/// A payload is rejected, with a reason naming the field where there is one, when it is over
/// <see cref="MessagePackDecoderOptions.MaxPayloadBytes"/>, truncated or malformed, not a map, followed by trailing
/// bytes, lacks a required field, repeats a field (readers that keep the first and the last of two values would
/// disagree about the record), or holds a value of the wrong type or range. MessagePack-CSharp reports truncated or
/// malformed bytes by throwing; the decoder catches that for the one record and returns the reason with the byte
/// position, so valid records never throw.
/// </para>
/// <para>
/// A map of string keys (fixstr or str8) and scalar values, the shape encoders write for a record, is read straight
/// from the span; from the first pair that is anything else, the rest goes through the reader (after copying the
/// payload into a reused per-thread buffer, since the reader reads memory, not spans), with the same verdicts and
/// reasons. Allocation-free on success; thread-safe. For types annotated <c>[MessagePackObject]</c>,
/// <see cref="MessagePackSerializerDecoder{T}"/> decodes with MessagePackSerializer instead, at the cost of its
/// allocations.
/// </para>
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public sealed partial class MessagePackDecoder<T> : IRecordDecoder<T>
    where T : struct
{
    private readonly RecordMap<T> _map;
    private readonly int _maxPayloadBytes;

    // The fields and their UTF-8 names as arrays, and per key position the field that key held in the last record
    // decoded: producers write keys in one order, so one comparison usually finds the field. Measured on the
    // benchmark's six-field clicks, this takes 15-20 ns a record off RecordMap.Find's linear search. The hints are
    // only ever checked, never trusted, so threads racing to update them cannot produce a wrong record.
    private readonly RecordField<T>[] _fields;
    private readonly byte[][] _names;
    private readonly int[] _hints;

    /// <summary>Creates a decoder for the fields of <paramref name="map"/>.</summary>
    /// <param name="map">The fields to fill; only fields with setters are decoded, the rest are skipped like unknown keys.</param>
    /// <param name="options">Limits; <see langword="null"/> for the defaults.</param>
    /// <exception cref="ArgumentOutOfRangeException"><see cref="MessagePackDecoderOptions.MaxPayloadBytes"/> is not positive.</exception>
    public MessagePackDecoder(RecordMap<T> map, MessagePackDecoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        options ??= new MessagePackDecoderOptions();
        if (options.MaxPayloadBytes <= 0)
        {
            ThrowHelper.ThrowArgumentOutOfRange(nameof(options), "MaxPayloadBytes must be positive.");
        }

        _map = map;
        _maxPayloadBytes = options.MaxPayloadBytes;
        _fields = [.. map.Fields];
        _names = new byte[_fields.Length][];
        _hints = new int[_fields.Length];
        for (var i = 0; i < _fields.Length; i++)
        {
            _names[i] = _fields[i].Utf8Name.ToArray();
            _hints[i] = i;
        }
    }

    /// <inheritdoc />
    public bool TryDecode(ReadOnlySpan<byte> payload, ref T record, out string? error)
    {
        if (payload.Length > _maxPayloadBytes)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"payload of {payload.Length} bytes is over the {_maxPayloadBytes}-byte limit");
            return false;
        }

        if (payload.IsEmpty)
        {
            error = "empty payload";
            return false;
        }

        var state = FlatState.Start;
        switch (TryDecodeFlat(payload, ref record, ref state, out error))
        {
            case FlatResult.Decoded:
                return true;
            case FlatResult.Rejected:
                return false;
            default:
                return TryDecodeWithReader(payload, ref record, state, out error);
        }
    }

    /// <summary>Decodes with MessagePack-CSharp's reader alone, the path the flat scanner hands over to: the test seam that compares the two.</summary>
    internal bool TryDecodeWithReader(ReadOnlySpan<byte> payload, ref T record, out string? error) =>
        TryDecodeWithReader(payload, ref record, FlatState.Start, out error);

    /// <summary>Reads the payload with the reader from where the flat scanner stopped (the map's header, or a key).</summary>
    private bool TryDecodeWithReader(ReadOnlySpan<byte> payload, ref T record, in FlatState state, out string? error)
    {
        // No finally: TryDecode catches what the reader throws for bad bytes, and should a field setter throw, the
        // array is simply not returned (the next call allocates another).
        var buffer = PayloadBuffer.Rent(payload);
        var reader = new MessagePackReader(buffer.AsMemory(0, payload.Length));
        var decoded = TryDecode(ref reader, payload.Length, ref record, state, out error);
        PayloadBuffer.Return(buffer);
        return decoded;
    }

    private bool TryDecode(ref MessagePackReader reader, int length, ref T record, in FlatState state, out string? error)
    {
        // Where the value being read starts, and its field: what a truncated or malformed value is reported with.
        long start = 0;
        RecordField<T>? field = null;
        try
        {
            var count = state.Count;
            if (count < 0)
            {
                var type = reader.NextMessagePackType;
                if (type != MessagePackType.Map)
                {
                    error = type == MessagePackType.Unknown ? Malformed(0) : $"payload is {Describe(type)}, not a map";
                    return false;
                }

                count = reader.ReadMapHeader();
                if (count < 0)
                {
                    error = Malformed(0); // a map32 count of 2^31 or more: more pairs than any payload holds
                    return false;
                }
            }
            else
            {
                reader.ReadRaw(state.Position); // the header and the pairs the flat scanner stored
            }

            var seen = state.Seen;
            var present = state.Present;
            for (var i = state.Index; i < count; i++)
            {
                start = reader.Consumed;
                field = null;
                if (!IsString(reader.NextCode))
                {
                    // A key of another type cannot name a field: skip it and its value like an unknown name.
                    if (!TrySkip(ref reader, 0))
                    {
                        error = Malformed(start);
                        return false;
                    }

                    start = reader.Consumed;
                    if (!TrySkip(ref reader, 0))
                    {
                        error = Malformed(start);
                        return false;
                    }

                    continue;
                }

                if (!reader.TryReadStringSpan(out var key))
                {
                    error = Malformed(start); // not reached: the payload is one contiguous segment
                    return false;
                }

                start = reader.Consumed;
                field = Find(key, i);
                if (field is null || !field.CanSet)
                {
                    field = null;
                    if (!TrySkip(ref reader, 0))
                    {
                        error = Malformed(start);
                        return false;
                    }

                    continue;
                }

                var bit = 1UL << field.Index;
                if ((present & bit) != 0)
                {
                    error = $"duplicate field '{field.Name}'";
                    return false;
                }

                present |= bit;
                var code = reader.NextCode;
                if (code == MessagePackCode.Nil)
                {
                    reader.ReadNil();
                    continue;
                }

                // Integers, most fields of most records, are read here rather than in TryReadValue: the call to it
                // took the benchmark clicks from about 180 to 140 ns a record in a same-process measurement.
                if (IsSignedInteger(code))
                {
                    var integer = reader.ReadInt64();
                    if (!field.SetInt64(ref record, integer))
                    {
                        error = RejectedInteger(field, integer);
                        return false;
                    }
                }
                else if (!TryReadValue(ref reader, code, field, start, ref record, out error))
                {
                    return false;
                }

                seen |= bit;
            }

            if (!reader.End)
            {
                error = string.Create(CultureInfo.InvariantCulture, $"{length - reader.Consumed} trailing bytes after the map");
                return false;
            }

            var missing = _map.FirstMissing(seen);
            if (missing is not null)
            {
                error = $"missing field '{missing}'";
                return false;
            }

            error = null;
            return true;
        }
        catch (Exception e) when (e is MessagePackSerializationException or EndOfStreamException or ArgumentOutOfRangeException)
        {
            // The reader throws these for bytes that end early or break the format (ArgumentOutOfRangeException for
            // a str32 or bin32 length of 2^31 or more); they end this record only.
            error = field is null ? Malformed(start) : MalformedField(field, start);
            return false;
        }
    }

    /// <summary>The field named <paramref name="key"/>, trying first the one found at this key position last time.</summary>
    private RecordField<T>? Find(ReadOnlySpan<byte> key, int position)
    {
        var hints = _hints;
        if ((uint)position < (uint)hints.Length)
        {
            var hint = hints[position];
            if (key.SequenceEqual(_names[hint]))
            {
                return _fields[hint];
            }
        }

        var names = _names;
        for (var i = 0; i < names.Length; i++)
        {
            if (key.SequenceEqual(names[i]))
            {
                if ((uint)position < (uint)hints.Length)
                {
                    hints[position] = i;
                }

                return _fields[i];
            }
        }

        return null;
    }

    /// <summary>Reads the value whose first byte is <paramref name="code"/> (anything but nil or an integer <see cref="IsSignedInteger"/> accepts) into <paramref name="field"/>.</summary>
    private static bool TryReadValue(ref MessagePackReader reader, byte code, RecordField<T> field, long start, ref T record, out string? error)
    {
        error = null;
        var type = MessagePackCode.ToMessagePackType(code);
        switch (type)
        {
            case MessagePackType.Integer:
                // Only uint64 gets here; the caller reads every other integer code.
                var unsigned = reader.ReadUInt64();
                if (unsigned <= long.MaxValue && field.SetInt64(ref record, (long)unsigned))
                {
                    return true;
                }

                error = Rejected(field, string.Create(CultureInfo.InvariantCulture, $"integer {unsigned}"));
                return false;

            case MessagePackType.Float:
                return TryStoreDouble(field, reader.ReadDouble(), ref record, out error);

            case MessagePackType.Boolean:
                return TryStoreBoolean(field, reader.ReadBoolean(), ref record, out error);

            case MessagePackType.String:
                if (!reader.TryReadStringSpan(out var utf8))
                {
                    error = MalformedField(field, start); // not reached: the payload is one contiguous segment
                    return false;
                }

                return TryStoreString(field, utf8, ref record, out error);

            case MessagePackType.Extension:
                var header = reader.ReadExtensionFormatHeader();
                if (header.TypeCode != MessagePackTimestamp.TypeCode)
                {
                    error = Rejected(field, string.Create(CultureInfo.InvariantCulture, $"an extension of type {header.TypeCode}"));
                    return false;
                }

                if (!MessagePackTimestamp.TryReadMillis(reader.ReadRaw(header.Length).FirstSpan, out var millis))
                {
                    error = $"field '{field.Name}' holds a malformed or out-of-range timestamp";
                    return false;
                }

                if (field.Kind == FieldKind.TimestampMillis && field.SetInt64(ref record, millis))
                {
                    return true;
                }

                error = Rejected(field, "a timestamp");
                return false;

            case MessagePackType.Unknown:
                error = MalformedField(field, start);
                return false;

            default:
                error = Rejected(field, Describe(type));
                return false;
        }
    }

    /// <summary>Stores a float, or says why <paramref name="field"/> cannot hold it.</summary>
    private static bool TryStoreDouble(RecordField<T> field, double number, ref T record, out string? error)
    {
        if (field.SetDouble(ref record, number))
        {
            error = null;
            return true;
        }

        error = Rejected(field, string.Create(CultureInfo.InvariantCulture, $"float {number:R}"));
        return false;
    }

    /// <summary>Stores a boolean, or says why <paramref name="field"/> cannot hold it.</summary>
    private static bool TryStoreBoolean(RecordField<T> field, bool value, ref T record, out string? error)
    {
        if (field.SetBoolean(ref record, value))
        {
            error = null;
            return true;
        }

        error = Rejected(field, "a boolean");
        return false;
    }

    /// <summary>Stores a string after checking it is valid UTF-8, or says why it was refused.</summary>
    private static bool TryStoreString(RecordField<T> field, ReadOnlySpan<byte> utf8, ref T record, out string? error)
    {
        if (!Utf8.IsValid(utf8))
        {
            error = $"field '{field.Name}' is not valid UTF-8";
            return false;
        }

        if (field.SetString(ref record, utf8))
        {
            error = null;
            return true;
        }

        error = field.Kind == FieldKind.String
            ? $"field '{field.Name}' rejected its value"
            : Rejected(field, "a string");
        return false;
    }

    /// <summary>Skips the next value like <see cref="MessagePackReader.Skip"/>, but refuses containers nested deeper than <see cref="MessagePackFraming.MaxDepth"/>.</summary>
    /// <returns><see langword="false"/> when the value nests too deeply, holds the reserved byte, or declares a count no payload holds.</returns>
    private static bool TrySkip(ref MessagePackReader reader, int depth)
    {
        long elements;
        switch (reader.NextMessagePackType)
        {
            case MessagePackType.Array:
                elements = reader.ReadArrayHeader();
                break;
            case MessagePackType.Map:
                elements = reader.ReadMapHeader() * 2L;
                break;
            case MessagePackType.Unknown:
                return false;
            default:
                reader.Skip(); // a scalar, string, binary or extension: no recursion
                return true;
        }

        if (elements < 0 || depth >= MessagePackFraming.MaxDepth)
        {
            return false;
        }

        for (long i = 0; i < elements; i++)
        {
            if (!TrySkip(ref reader, depth + 1))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="code"/> starts an integer that <see cref="MessagePackReader.ReadInt64"/> reads (every one but uint64).</summary>
    private static bool IsSignedInteger(byte code) =>
        code is <= MessagePackCode.MaxFixInt or >= MessagePackCode.MinNegativeFixInt or (>= MessagePackCode.UInt8 and <= MessagePackCode.Int64 and not MessagePackCode.UInt64);

    private static string RejectedInteger(RecordField<T> field, long integer) =>
        Rejected(field, string.Create(CultureInfo.InvariantCulture, $"integer {integer}"));

    private static bool IsString(byte code) =>
        code is (>= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr) or MessagePackCode.Str8 or MessagePackCode.Str16 or MessagePackCode.Str32;

    private static string Describe(MessagePackType type) => type switch
    {
        MessagePackType.Nil => "nil",
        MessagePackType.Integer => "an integer",
        MessagePackType.Array => "an array",
        MessagePackType.Extension => "an extension",
        _ => "a " + type.ToString().ToLowerInvariant(),
    };

    private static string Rejected(RecordField<T> field, string what) =>
        $"field '{field.Name}' ({field.Kind}) cannot hold {what}";

    private static string Malformed(long position) =>
        string.Create(CultureInfo.InvariantCulture, $"truncated or malformed MessagePack at byte {position}");

    private static string MalformedField(RecordField<T> field, long position) =>
        string.Create(CultureInfo.InvariantCulture, $"field '{field.Name}': truncated or malformed value at byte {position}");
}
