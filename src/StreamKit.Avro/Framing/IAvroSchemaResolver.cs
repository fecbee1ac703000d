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
