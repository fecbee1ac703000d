using StreamKit.Codecs;
using StreamKit.State;

namespace StreamKit.Files;

/// <summary>Writes records into one open output file.</summary>
/// <typeparam name="T">The record type.</typeparam>
public interface IFileRecordWriter<T> : IDisposable
{
    /// <summary>Appends records (buffered).</summary>
    void Write(ReadOnlySpan<T> records);

    /// <summary>Pushes everything written to the stream, ending any block in progress; the file stays open.</summary>
    void Flush();
}
