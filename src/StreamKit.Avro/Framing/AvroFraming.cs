using System.Buffers.Binary;

namespace StreamKit.Avro.Framing;

/// <summary>How a message names the schema its Avro body was written with.</summary>
public enum AvroFraming
{
    /// <summary>Avro single-object encoding: <c>C3 01</c>, the 8-byte little-endian CRC-64-AVRO fingerprint, then the body.</summary>
    SingleObject,

    /// <summary>The schema-registry (Confluent) wire format: byte <c>0</c>, a 4-byte big-endian schema id, then the body.</summary>
    SchemaRegistry,
}
