using System.Text.Json;
using Clickstream;
using MessagePack;
using StreamKit.Avro.Binary;

namespace StreamKit.Benchmarks.Variants;

/// <summary>Decodes one record of one wire format into a <see cref="ClickEvent"/>; implemented by structs so the decode loop is specialised per decoder.</summary>
public interface IClickDecoder
{
    /// <summary>Fills <paramref name="e"/> from <paramref name="payload"/>; <see langword="false"/> when the record is invalid.</summary>
    bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e);
}

/// <summary>
/// The hand-written decoders: each reads the six fields of this one schema with the format's reader, matches keys
/// by length and bytes, and interns the country through <see cref="ClickEvents.Countries"/> exactly as the record
/// map's setter does, so they produce the same <see cref="ClickEvent"/> as StreamKit's decoders. They check what
/// this schema needs (every field present once, right types, no trailing bytes) but not what a general decoder
/// must (UTF-8 validity of strings, error messages, arbitrary maps): the practical limit for a hand loop.
/// </summary>
public static class HandDecoders
{
    private const int AllFields = 0b11_1111;

    /// <summary>A <see cref="Utf8JsonReader"/> loop: Q5's hand-written parser, with the country interned.</summary>
    public readonly struct JsonLines : IClickDecoder
    {
        /// <inheritdoc />
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e) => TryParse(payload, ref e, internCountry: true);

        /// <summary>Parses one line; Q5's hand-written job packs the country from its two bytes instead of interning it.</summary>
        public static bool TryParse(ReadOnlySpan<byte> line, ref ClickEvent e, bool internCountry)
        {
            try
            {
                return Parse(line, ref e, internCountry);
            }
            catch (JsonException)
            {
                return false; // malformed: Utf8JsonReader only reports it by throwing
            }
        }

        private static bool Parse(ReadOnlySpan<byte> line, ref ClickEvent e, bool internCountry)
        {
            var reader = new Utf8JsonReader(line);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.ValueSpan;
                if (!reader.Read())
                {
                    return false;
                }

                var isNumber = reader.TokenType == JsonTokenType.Number;
                var isString = reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped;
                switch (name.Length)
                {
                    case 2 when name.SequenceEqual("ts"u8) && isNumber && reader.TryGetInt64(out e.Ts):
                        seen |= 1;
                        break;
                    case 6 when name.SequenceEqual("userId"u8) && isNumber && reader.TryGetInt32(out e.UserId):
                        seen |= 2;
                        break;
                    case 6 when name.SequenceEqual("pageId"u8) && isNumber && reader.TryGetInt32(out e.PageId):
                        seen |= 4;
                        break;
                    case 9 when name.SequenceEqual("eventType"u8) && isString && ClickEvents.TryParse(reader.ValueSpan, out e.EventType):
                        seen |= 8;
                        break;
                    case 10 when name.SequenceEqual("durationMs"u8) && isNumber && reader.TryGetInt32(out e.DurationMs):
                        seen |= 16;
                        break;
                    case 7 when name.SequenceEqual("country"u8) && isString && reader.ValueSpan.Length == 2:
                        if (internCountry)
                        {
                            if (!ClickEvents.Countries.TryGetOrAdd(reader.ValueSpan, out e.Country))
                            {
                                return false;
                            }
                        }
                        else
                        {
                            e.Country = (reader.ValueSpan[0] << 8) | reader.ValueSpan[1];
                        }

                        seen |= 32;
                        break;
                    default:
                        if (IsKnown(name))
                        {
                            return false; // a known field with a bad value
                        }

                        reader.Skip();
                        break;
                }
            }

            return reader.TokenType == JsonTokenType.EndObject && !reader.Read() && seen == AllFields;
        }
    }

    /// <summary>A MessagePack-CSharp <see cref="MessagePackReader"/> loop over a map of the six keys, in any order.</summary>
    /// <remarks>
    /// The reader reads memory, not spans, so the payload is copied into a reused array first, as StreamKit's
    /// decoder does. The library reports bad bytes by throwing; this loop only sees valid records.
    /// </remarks>
    public readonly struct MessagePack : IClickDecoder
    {
        [ThreadStatic]
        private static byte[]? t_buffer;

        /// <inheritdoc />
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e)
        {
            var buffer = t_buffer;
            if (buffer is null || buffer.Length < payload.Length)
            {
                buffer = t_buffer = new byte[Math.Max(1024, payload.Length)];
            }

            payload.CopyTo(buffer);
            var reader = new MessagePackReader(buffer.AsMemory(0, payload.Length));
            var count = reader.ReadMapHeader();
            var seen = 0;
            for (var i = 0; i < count; i++)
            {
                if (!reader.TryReadStringSpan(out var name))
                {
                    return false;
                }

                int bit;
                switch (name.Length)
                {
                    case 2 when name.SequenceEqual("ts"u8):
                        e.Ts = reader.ReadInt64();
                        bit = 1;
                        break;
                    case 6 when name.SequenceEqual("userId"u8):
                        e.UserId = reader.ReadInt32();
                        bit = 2;
                        break;
                    case 6 when name.SequenceEqual("pageId"u8):
                        e.PageId = reader.ReadInt32();
                        bit = 4;
                        break;
                    case 9 when name.SequenceEqual("eventType"u8) && reader.TryReadStringSpan(out var type) && ClickEvents.TryParse(type, out e.EventType):
                        bit = 8;
                        break;
                    case 10 when name.SequenceEqual("durationMs"u8):
                        e.DurationMs = reader.ReadInt32();
                        bit = 16;
                        break;
                    case 7 when name.SequenceEqual("country"u8) && reader.TryReadStringSpan(out var country) && country.Length == 2 && ClickEvents.Countries.TryGetOrAdd(country, out e.Country):
                        bit = 32;
                        break;
                    default:
                        if (IsKnown(name))
                        {
                            return false; // a known field with a bad value
                        }

                        reader.Skip();
                        continue;
                }

                if ((seen & bit) != 0)
                {
                    return false; // a repeated key
                }

                seen |= bit;
            }

            return reader.End && seen == AllFields;
        }
    }

    /// <summary>An <see cref="AvroReader"/> loop reading the six fields in schema order (Avro bodies carry no names).</summary>
    public readonly struct Avro : IClickDecoder
    {
        /// <inheritdoc />
        public bool TryDecode(ReadOnlySpan<byte> payload, ref ClickEvent e)
        {
            var reader = new AvroReader(payload);
            return reader.TryReadLong(out e.Ts)
                && reader.TryReadInt(out e.UserId)
                && reader.TryReadInt(out e.PageId)
                && reader.TryReadString(out var type) && ClickEvents.TryParse(type, out e.EventType)
                && reader.TryReadInt(out e.DurationMs)
                && reader.TryReadString(out var country) && country.Length == 2 && ClickEvents.Countries.TryGetOrAdd(country, out e.Country)
                && reader.End;
        }
    }

    private static bool IsKnown(ReadOnlySpan<byte> name) =>
        name.SequenceEqual("ts"u8) || name.SequenceEqual("userId"u8) || name.SequenceEqual("pageId"u8) ||
        name.SequenceEqual("eventType"u8) || name.SequenceEqual("durationMs"u8) || name.SequenceEqual("country"u8);
}
