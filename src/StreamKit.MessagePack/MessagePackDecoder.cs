using System.Globalization;
using System.Text.Unicode;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.MessagePack;

/// <summary>Decodes a record from a MessagePack map whose keys are the field names of a <see cref="RecordMap{T}"/>.</summary>
/// <remarks>
/// <para>
/// The payload must be exactly one map. Keys are matched by name, in any order; keys the map does not know (or
/// that are not strings) are skipped with their values, however deeply nested. Integers of any wire width and
/// floats go through the field's setters, which range-check them (an <see cref="FieldKind.Int32"/> field rejects
/// 2^31, an integer field rejects 3.5). Strings must be valid UTF-8. A timestamp extension fills a
/// <see cref="FieldKind.TimestampMillis"/> field with milliseconds (sub-millisecond precision is truncated); such a
/// field also accepts plain integer milliseconds. A nil value counts as the field being absent.
/// </para>
/// <para>
/// A payload is rejected, with a reason naming the field where there is one, when it is over
/// <see cref="MessagePackDecoderOptions.MaxPayloadBytes"/>, truncated or malformed, not a map, followed by trailing
/// bytes, lacks a required field, repeats a field (readers that keep the first and the last of two values would
/// disagree about the record), or holds a value of the wrong type or range.
/// </para>
/// <para>Allocation-free on success; thread-safe (it holds no per-call state).</para>
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public sealed class MessagePackDecoder<T> : IRecordDecoder<T>
    where T : struct
{
    private readonly RecordMap<T> _map;
    private readonly int _maxPayloadBytes;

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
    }

    /// <inheritdoc />
    public bool TryDecode(ReadOnlySpan<byte> payload, ref T record, out string? error)
    {
        if (payload.Length > _maxPayloadBytes)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"payload of {payload.Length} bytes is over the {_maxPayloadBytes}-byte limit");
            return false;
        }

        var reader = new MessagePackReader(payload);
        if (!reader.TryReadMapHeader(out var count))
        {
            error = DescribeNotMap(reader);
            return false;
        }

        ulong seen = 0;
        ulong present = 0;
        for (var i = 0; i < count; i++)
        {
            if (!reader.TryReadString(out var key))
            {
                // A key of another type cannot name a field: skip it and its value like an unknown name.
                if (!reader.TrySkip() || !reader.TrySkip())
                {
                    error = Malformed(reader.Consumed);
                    return false;
                }

                continue;
            }

            var field = _map.Find(key);
            if (field is null || !field.CanSet)
            {
                if (!reader.TrySkip())
                {
                    error = Malformed(reader.Consumed);
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
            if (reader.TryReadNil())
            {
                continue;
            }

            if (!TryReadValue(ref reader, field, ref record, out error))
            {
                return false;
            }

            seen |= bit;
        }

        if (!reader.End)
        {
            error = string.Create(CultureInfo.InvariantCulture, $"{reader.Remaining} trailing bytes after the map");
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

    private static bool TryReadValue(ref MessagePackReader reader, RecordField<T> field, ref T record, out string? error)
    {
        error = null;
        var start = reader.Consumed;
        if (!reader.TryPeekType(out var type))
        {
            error = MalformedField(field, start);
            return false;
        }

        switch (type)
        {
            case MessagePackType.Integer:
                if (reader.TryReadInt64(out var integer))
                {
                    if (field.SetInt64(ref record, integer))
                    {
                        return true;
                    }

                    error = Rejected(field, string.Create(CultureInfo.InvariantCulture, $"integer {integer}"));
                }
                else if (reader.TryReadUInt64(out var unsigned))
                {
                    error = Rejected(field, string.Create(CultureInfo.InvariantCulture, $"integer {unsigned}"));
                }
                else
                {
                    error = MalformedField(field, start);
                }

                return false;

            case MessagePackType.Float:
                if (!reader.TryReadDouble(out var number))
                {
                    error = MalformedField(field, start);
                    return false;
                }

                if (field.SetDouble(ref record, number))
                {
                    return true;
                }

                error = Rejected(field, string.Create(CultureInfo.InvariantCulture, $"float {number:R}"));
                return false;

            case MessagePackType.Boolean:
                reader.TryReadBoolean(out var flag);
                if (field.SetBoolean(ref record, flag))
                {
                    return true;
                }

                error = Rejected(field, "a boolean");
                return false;

            case MessagePackType.String:
                if (!reader.TryReadString(out var utf8))
                {
                    error = MalformedField(field, start);
                    return false;
                }

                if (!Utf8.IsValid(utf8))
                {
                    error = $"field '{field.Name}' is not valid UTF-8";
                    return false;
                }

                if (field.SetString(ref record, utf8))
                {
                    return true;
                }

                error = field.Kind == FieldKind.String
                    ? $"field '{field.Name}' rejected its value"
                    : Rejected(field, "a string");
                return false;

            case MessagePackType.Extension:
                var probe = reader;
                if (!probe.TryReadExtensionHeader(out var typeCode, out _))
                {
                    error = MalformedField(field, start);
                    return false;
                }

                if (typeCode != MessagePackCode.TimestampExtensionType)
                {
                    error = Rejected(field, string.Create(CultureInfo.InvariantCulture, $"an extension of type {typeCode}"));
                    return false;
                }

                if (!reader.TryReadTimestampMillis(out var millis))
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

            default:
                error = Rejected(field, Describe(type));
                return false;
        }
    }

    private static string DescribeNotMap(MessagePackReader reader)
    {
        if (reader.End)
        {
            return "empty payload";
        }

        return reader.TryPeekType(out var type) && type != MessagePackType.Map
            ? $"payload is {Describe(type)}, not a map"
            : Malformed(0);
    }

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

    private static string Malformed(int position) =>
        string.Create(CultureInfo.InvariantCulture, $"truncated or malformed MessagePack at byte {position}");

    private static string MalformedField(RecordField<T> field, int position) =>
        string.Create(CultureInfo.InvariantCulture, $"field '{field.Name}': truncated or malformed value at byte {position}");
}
