using System.IO.Pipelines;
using StreamKit.Records;

namespace StreamKit.Files;

/// <summary>What a framer found at the start of the unread bytes.</summary>
public enum FrameStatus
{
    /// <summary>More bytes are needed to decide.</summary>
    NeedMoreData,

    /// <summary>A record: <see cref="Frame.RecordLength"/> bytes, then <see cref="Frame.Consumed"/> in all (with any delimiter).</summary>
    Record,

    /// <summary>Bytes that are not a record and not an error (a blank line, a byte-order mark): consume them silently.</summary>
    Skip,

    /// <summary>
    /// Bytes that cannot be a valid record: the first <see cref="Frame.RecordLength"/> of them are dead-lettered with
    /// <see cref="Frame.Error"/>, and <see cref="Frame.Consumed"/> are dropped — which may run past the bytes seen so
    /// far (an over-size record); the rest is discarded as it arrives.
    /// </summary>
    Invalid,
}
