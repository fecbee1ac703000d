using System.IO.Pipelines;
using StreamKit.Records;

namespace StreamKit.Files;

/// <summary>The extent of one frame.</summary>
/// <param name="RecordLength">How many bytes form the record (or the dead-lettered part of an invalid one).</param>
/// <param name="Consumed">How many bytes to move past, delimiter included.</param>
/// <param name="Error">Why the bytes are invalid, for <see cref="FrameStatus.Invalid"/>.</param>
public readonly record struct Frame(long RecordLength, long Consumed, string? Error = null);
