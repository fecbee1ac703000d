using System.Buffers;
using System.Text;
using StreamKit.Avro.Binary;
using StreamKit.Avro.Schema;

namespace StreamKit.Avro.Tests;

/// <summary>
/// A reflection-free generic datum writer for tests: records are dictionaries, arrays lists, maps string
/// dictionaries, enums <see cref="EnumSymbol"/>, and a union picks the first branch the value fits (as Python does).
/// </summary>
internal static class TestDatumWriter
{
    public sealed record EnumSymbol(string Symbol);

    public static byte[] Write(AvroSchema schema, object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, schema, value);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(IBufferWriter<byte> output, AvroSchema schema, object? value)
    {
        switch (schema.Type)
        {
            case AvroType.Null:
                return;
            case AvroType.Boolean:
                AvroWriter.WriteBoolean(output, (bool)value!);
                return;
            case AvroType.Int:
                AvroWriter.WriteInt(output, Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case AvroType.Long:
                AvroWriter.WriteLong(output, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case AvroType.Float:
                AvroWriter.WriteFloat(output, Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case AvroType.Double:
                AvroWriter.WriteDouble(output, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case AvroType.Bytes:
                AvroWriter.WriteBytes(output, value is string s ? Encoding.UTF8.GetBytes(s) : (byte[])value!);
                return;
            case AvroType.String:
                AvroWriter.WriteString(output, (string)value!);
                return;
            case AvroType.Fixed:
                AvroWriter.WriteFixed(output, (byte[])value!);
                return;
            case AvroType.Enum:
                var symbols = ((AvroEnumSchema)schema).Symbols;
                AvroWriter.WriteInt(output, IndexOf(symbols, ((EnumSymbol)value!).Symbol));
                return;
            case AvroType.Record:
                var fields = (IReadOnlyDictionary<string, object?>)value!;
                foreach (var field in ((AvroRecordSchema)schema).Fields)
                {
                    Write(output, field.Schema, fields.TryGetValue(field.Name, out var v) ? v : null);
                }

                return;
            case AvroType.Array:
                var items = (System.Collections.IList)value!;
                if (items.Count > 0)
                {
                    AvroWriter.WriteLong(output, items.Count);
                    foreach (var item in items)
                    {
                        Write(output, ((AvroArraySchema)schema).Items, item);
                    }
                }

                AvroWriter.WriteLong(output, 0);
                return;
            case AvroType.Map:
                var map = (IReadOnlyDictionary<string, object?>)value!;
                if (map.Count > 0)
                {
                    AvroWriter.WriteLong(output, map.Count);
                    foreach (var (key, v) in map)
                    {
                        AvroWriter.WriteString(output, key);
                        Write(output, ((AvroMapSchema)schema).Values, v);
                    }
                }

                AvroWriter.WriteLong(output, 0);
                return;
            case AvroType.Union:
                var branches = ((AvroUnionSchema)schema).Branches;
                for (var i = 0; i < branches.Count; i++)
                {
                    if (Fits(branches[i], value))
                    {
                        AvroWriter.WriteLong(output, i);
                        Write(output, branches[i], value);
                        return;
                    }
                }

                throw new ArgumentException($"No union branch fits {value}.");
        }
    }

    private static int IndexOf(IReadOnlyList<string> symbols, string symbol)
    {
        for (var i = 0; i < symbols.Count; i++)
        {
            if (symbols[i] == symbol)
            {
                return i;
            }
        }

        throw new ArgumentException(symbol);
    }

    private static bool Fits(AvroSchema schema, object? value) => schema.Type switch
    {
        AvroType.Null => value is null,
        AvroType.Boolean => value is bool,
        AvroType.Int => value is int,
        AvroType.Long => value is long or int,
        AvroType.Float => value is float,
        AvroType.Double => value is double or float,
        AvroType.String => value is string,
        AvroType.Bytes => value is byte[],
        AvroType.Enum => value is EnumSymbol,
        AvroType.Record => value is IReadOnlyDictionary<string, object?>,
        AvroType.Array => value is System.Collections.IList,
        AvroType.Map => value is IReadOnlyDictionary<string, object?>,
        _ => false,
    };
}
