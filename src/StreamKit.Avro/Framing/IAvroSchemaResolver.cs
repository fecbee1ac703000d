using System.Collections.Concurrent;
using Avro;

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
    bool TryGetById(int schemaId, out Schema? schema);

    /// <summary>Looks up a schema by its CRC-64-AVRO fingerprint (<see cref="SchemaNormalization.ParsingFingerprint64(Schema)"/>).</summary>
    /// <param name="fingerprint">The fingerprint from a single-object header.</param>
    /// <param name="schema">The schema, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the fingerprint is known.</returns>
    bool TryGetByFingerprint(ulong fingerprint, out Schema? schema);
}

/// <summary>An in-memory <see cref="IAvroSchemaResolver"/>: register the writer schemas you expect up front.</summary>
/// <remarks>Thread-safe; lookups allocate nothing.</remarks>
public sealed class AvroSchemaStore : IAvroSchemaResolver
{
    private readonly ConcurrentDictionary<int, Schema> _byId = new();
    private readonly ConcurrentDictionary<ulong, Schema> _byFingerprint = new();

    /// <summary>Registers a schema under its fingerprint and, optionally, a registry id.</summary>
    /// <remarks>The fingerprint is Apache.Avro's <see cref="SchemaNormalization.ParsingFingerprint64(Schema)"/>, computed here once.</remarks>
    /// <param name="schema">The writer schema.</param>
    /// <param name="schemaId">The registry id, or <see langword="null"/> for fingerprint lookups only.</param>
    /// <returns>This store, for chaining.</returns>
    public AvroSchemaStore Add(Schema schema, int? schemaId = null)
    {
        ArgumentNullException.ThrowIfNull(schema);
        _byFingerprint[AvroSchemas.Fingerprint(schema)] = schema;
        if (schemaId is { } id)
        {
            _byId[id] = schema;
        }

        return this;
    }

    /// <inheritdoc/>
    public bool TryGetById(int schemaId, out Schema? schema) => _byId.TryGetValue(schemaId, out schema);

    /// <inheritdoc/>
    public bool TryGetByFingerprint(ulong fingerprint, out Schema? schema) => _byFingerprint.TryGetValue(fingerprint, out schema);
}
