using System.Collections.Concurrent;
using StreamKit.Avro.Schema;

namespace StreamKit.Avro.Framing;

/// <summary>Finds the writer schema a framed message names, by registry id or by fingerprint.</summary>
/// <remarks>
/// Called on the decoding thread the first time an id or fingerprint is seen (results are cached per decoder), so
/// it must be synchronous: a registry client should prefetch or block briefly. Return <see langword="false"/> for
/// an unknown schema; the record is then rejected, and the resolver is asked again for the next such record, so
/// a schema registered later is picked up.
/// </remarks>
public interface IAvroSchemaResolver
{
    /// <summary>Looks up a schema by its schema-registry id.</summary>
    /// <param name="schemaId">The id from the message header.</param>
    /// <param name="schema">The schema, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the id is known.</returns>
    bool TryGetById(int schemaId, out AvroSchema? schema);

    /// <summary>Looks up a schema by its CRC-64-AVRO fingerprint.</summary>
    /// <param name="fingerprint">The fingerprint from a single-object header.</param>
    /// <param name="schema">The schema, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the fingerprint is known.</returns>
    bool TryGetByFingerprint(ulong fingerprint, out AvroSchema? schema);
}

/// <summary>An in-memory <see cref="IAvroSchemaResolver"/>: register the writer schemas you expect up front.</summary>
/// <remarks>Thread-safe; lookups allocate nothing.</remarks>
public sealed class AvroSchemaStore : IAvroSchemaResolver
{
    private readonly ConcurrentDictionary<int, AvroSchema> _byId = new();
    private readonly ConcurrentDictionary<ulong, AvroSchema> _byFingerprint = new();

    /// <summary>Registers a schema under its fingerprint and, optionally, a registry id.</summary>
    /// <param name="schema">The writer schema.</param>
    /// <param name="schemaId">The registry id, or <see langword="null"/> for fingerprint lookups only.</param>
    /// <returns>This store, for chaining.</returns>
    public AvroSchemaStore Add(AvroSchema schema, int? schemaId = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _byFingerprint[schema.Fingerprint] = schema;
        if (schemaId is { } id)
        {
            _byId[id] = schema;
        }

        return this;
    }

    /// <inheritdoc/>
    public bool TryGetById(int schemaId, out AvroSchema? schema) => _byId.TryGetValue(schemaId, out schema);

    /// <inheritdoc/>
    public bool TryGetByFingerprint(ulong fingerprint, out AvroSchema? schema) => _byFingerprint.TryGetValue(fingerprint, out schema);
}
