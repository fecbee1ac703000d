namespace StreamKit.Avro.Container;

/// <summary>Where a record sits in a container file, for checkpoints: pass it to <see cref="AvroContainerReader.Seek"/> to resume there.</summary>
/// <param name="BlockIndex">The block's zero-based index in the file (after a corrupt region, the count of blocks read so far).</param>
/// <param name="BlockOffset">The byte offset of the block's first byte (its record count), from where the file starts.</param>
/// <param name="RecordIndex">The record's zero-based index within its block.</param>
public readonly record struct AvroRecordPosition(long BlockIndex, long BlockOffset, long RecordIndex);
