using System.Collections.Concurrent;
using Avro;
using StreamKit.Avro.Binary;
using StreamKit.Avro.Resolution;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.Avro.Framing;

/// <summary>Decodes messages that name their writer schema (single-object encoding or schema-registry framing).</summary>
/// <remarks>
/// Each writer schema is resolved against the map once and the compiled program is cached, both by the id or
/// fingerprint in the header and by the schema's fingerprint, so registry ids that share a schema share a program.
/// Steady-state decoding allocates nothing. Resolution failures are cached too (the schemas will not change);
/// unknown ids are not, so a schema registered later is found. Thread-safe.
/// </remarks>
/// <typeparam name="T">The record struct.</typeparam>
public sealed class AvroFramedDecoder<T> : IRecordDecoder<T>
    where T : struct
{
    private readonly RecordMap<T> _map;
    private readonly IAvroSchemaResolver _resolver;
    private readonly AvroFraming _framing;
    private readonly RecordSchema? _readerSchema;
    private readonly ConcurrentDictionary<long, Compiled> _byKey = new();
    private readonly ConcurrentDictionary<ulong, Compiled> _bySchema = new();

    /// <summary>Creates a decoder.</summary>
    /// <param name="map">The reader's record map.</param>
    /// <param name="resolver">Finds writer schemas by id or fingerprint.</param>
    /// <param name="framing">The message framing.</param>
    /// <param name="readerSchema">An optional reader schema supplying defaults, aliases and enum symbols.</param>
    public AvroFramedDecoder(RecordMap<T> map, IAvroSchemaResolver resolver, AvroFraming framing, RecordSchema? readerSchema = null)
    {
        ArgumentNullException.ThrowIfNull(map);
        ArgumentNullException.ThrowIfNull(resolver);
        _map = map;
        _resolver = resolver;
        _framing = framing;
        _readerSchema = readerSchema;
    }

    /// <summary>How many distinct writer schemas have been compiled (or failed to resolve).</summary>
    public int CompiledSchemaCount => _bySchema.Count;

    /// <inheritdoc/>
    public bool TryDecode(ReadOnlySpan<byte> payload, ref T record, out string? error)
    {
        long key;
        ReadOnlySpan<byte> body;
        if (_framing == AvroFraming.SingleObject)
        {
            if (!AvroSingleObject.TryReadHeader(payload, out var fingerprint, out body))
            {
                error = "Not an Avro single-object message: it must start with C3 01 and an 8-byte fingerprint.";
                return false;
            }

            key = (long)fingerprint;
        }
        else
        {
            if (!AvroSchemaRegistryFormat.TryReadHeader(payload, out var id, out body))
            {
                error = "Not a schema-registry message: it must start with byte 0 and a 4-byte schema id.";
                return false;
            }

            key = id;
        }

        if (!_byKey.TryGetValue(key, out var compiled) && !TryResolve(key, out compiled, out error))
        {
            return false;
        }

        if (compiled!.Program is not { } program)
        {
            error = compiled.Error;
            return false;
        }

        var reader = new AvroReader(body);
        if (!program.TryDecode(ref reader, ref record, out error))
        {
            return false;
        }

        if (!reader.End)
        {
            error = $"{reader.Remaining} trailing bytes after the record.";
            return false;
        }

        return true;
    }

    private bool TryResolve(long key, out Compiled? compiled, out string? error)
    {
        Schema? schema;
        var found = _framing == AvroFraming.SingleObject
            ? _resolver.TryGetByFingerprint((ulong)key, out schema)
            : _resolver.TryGetById((int)key, out schema);
        if (!found || schema is null)
        {
            compiled = null;
            error = _framing == AvroFraming.SingleObject
                ? $"Unknown writer schema fingerprint 0x{(ulong)key:x16}."
                : $"Unknown writer schema id {key}.";
            return false;
        }

        compiled = _bySchema.GetOrAdd(AvroSchemas.Fingerprint(schema), static (_, state) =>
            ResolutionProgram.TryCompile(state.Schema, state.Map, state.Reader, out var program, out var compileError)
                ? new Compiled(program, null)
                : new Compiled(null, "Writer schema does not resolve against the reader: " + compileError), (Schema: schema, Map: _map, Reader: _readerSchema));
        _byKey[key] = compiled;
        error = null;
        return true;
    }

    private sealed record Compiled(ResolutionProgram<T>? Program, string? Error);
}
