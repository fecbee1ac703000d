using System.Buffers;
using System.Text;
using StreamKit.Avro.Binary;
using Avro;

namespace StreamKit.Avro.Tests;

/// <summary>
/// A reflection-free generic datum writer for tests: records are dictionaries, arrays lists, maps string
/// dictionaries, enums <see cref="EnumSymbol"/>, and a union picks the first branch the value fits (as Python does).
/// </summary>
internal static class TestDatumWriter
{
    public sealed record EnumSymbol(string Symbol);

    public static byte[] Write(Schema schema, object? value)
    {
        var buffer = new ArrayBufferWriter<byte>();
        Write(buffer, schema, value);
        return buffer.WrittenSpan.ToArray();
    }

    public static void Write(IBufferWriter<byte> output, Schema schema, object? value)
    {
        switch (AvroSchemas.Encoding(schema).Tag)
        {
            case Schema.Type.Null:
                return;
            case Schema.Type.Boolean:
                AvroWriter.WriteBoolean(output, (bool)value!);
                return;
            case Schema.Type.Int:
                AvroWriter.WriteInt(output, Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case Schema.Type.Long:
                AvroWriter.WriteLong(output, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case Schema.Type.Float:
                AvroWriter.WriteFloat(output, Convert.ToSingle(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case Schema.Type.Double:
                AvroWriter.WriteDouble(output, Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture));
                return;
            case Schema.Type.Bytes:
                AvroWriter.WriteBytes(output, value is string s ? Encoding.UTF8.GetBytes(s) : (byte[])value!);
                return;
            case Schema.Type.String:
                AvroWriter.WriteString(output, (string)value!);
                return;
            case Schema.Type.Fixed:
                AvroWriter.WriteFixed(output, (byte[])value!);
                return;
            case Schema.Type.Enumeration:
                var symbols = ((EnumSchema)schema).Symbols;
                AvroWriter.WriteInt(output, IndexOf(symbols, ((EnumSymbol)value!).Symbol));
                return;
            case Schema.Type.Record:
                var fields = (IReadOnlyDictionary<string, object?>)value!;
                foreach (var field in ((RecordSchema)schema).Fields)
                {
                    Write(output, field.Schema, fields.TryGetValue(field.Name, out var v) ? v : null);
                }

                return;
            case Schema.Type.Array:
                var items = (System.Collections.IList)value!;
                if (items.Count > 0)
                {
                    AvroWriter.WriteLong(output, items.Count);
                    foreach (var item in items)
                    {
                        Write(output, ((ArraySchema)schema).ItemSchema, item);
                    }
                }

                AvroWriter.WriteLong(output, 0);
                return;
            case Schema.Type.Map:
                var map = (IReadOnlyDictionary<string, object?>)value!;
                if (map.Count > 0)
                {
                    AvroWriter.WriteLong(output, map.Count);
                    foreach (var (key, v) in map)
                    {
                        AvroWriter.WriteString(output, key);
                        Write(output, ((MapSchema)schema).ValueSchema, v);
                    }
                }

                AvroWriter.WriteLong(output, 0);
                return;
            case Schema.Type.Union:
                var branches = ((UnionSchema)schema).Schemas;
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

    private static int IndexOf(IList<string> symbols, string symbol)
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

    private static bool Fits(Schema schema, object? value) => AvroSchemas.Encoding(schema).Tag switch
    {
        Schema.Type.Null => value is null,
        Schema.Type.Boolean => value is bool,
        Schema.Type.Int => value is int,
        Schema.Type.Long => value is long or int,
        Schema.Type.Float => value is float,
        Schema.Type.Double => value is double or float,
        Schema.Type.String => value is string,
        Schema.Type.Bytes => value is byte[],
        Schema.Type.Enumeration => value is EnumSymbol,
        Schema.Type.Record => value is IReadOnlyDictionary<string, object?>,
        Schema.Type.Array => value is System.Collections.IList,
        Schema.Type.Map => value is IReadOnlyDictionary<string, object?>,
        _ => false,
    };
}
