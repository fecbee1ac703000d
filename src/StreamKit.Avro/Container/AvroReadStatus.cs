namespace StreamKit.Avro.Container;

/// <summary>What <see cref="AvroContainerReader.Read"/> produced.</summary>
public enum AvroReadStatus
{
    /// <summary>A record's bytes and position.</summary>
    Record,

    /// <summary>The end of the file; every later call returns this too.</summary>
    EndOfFile,

    /// <summary>A malformed block was dropped (see <see cref="AvroContainerReader.LastError"/>); reading continues at the next sync marker.</summary>
    Corrupt,
}
