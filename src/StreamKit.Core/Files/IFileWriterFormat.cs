using StreamKit.Codecs;
using StreamKit.State;

namespace StreamKit.Files;

/// <summary>How a <see cref="FileSink{T}"/> lays out one output file.</summary>
/// <typeparam name="T">The record type.</typeparam>
public interface IFileWriterFormat<T>
{
    /// <summary>The extension of finished files, with the dot (<c>.jsonl</c>).</summary>
    string Extension { get; }

    /// <summary>Starts a file on <paramref name="stream"/> (write any header now).</summary>
    IFileRecordWriter<T> Create(Stream stream);
}
