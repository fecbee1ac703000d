using System.Collections.Concurrent;
using Avro;

namespace StreamKit.Avro.Framing;

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
