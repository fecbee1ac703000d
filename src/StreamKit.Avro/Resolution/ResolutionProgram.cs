using Avro;
using StreamKit.Records;

namespace StreamKit.Avro.Resolution;

/// <summary>Compiles <see cref="ResolutionProgram{T}"/>s: the record type is inferred from the map.</summary>
public static class ResolutionProgram
{
    /// <summary>Compiles the resolution of <paramref name="writerSchema"/> against <paramref name="map"/>.</summary>
    /// <typeparam name="T">The record struct.</typeparam>
    /// <param name="writerSchema">The schema the data was written with; must be a record.</param>
    /// <param name="map">The reader's record map.</param>
    /// <param name="readerSchema">An optional reader schema naming the map's fields, to supply defaults, aliases and enum symbols.</param>
    /// <returns>The compiled program.</returns>
    /// <exception cref="AvroTypeException">The schemas do not resolve; the message names the field and both types.</exception>
    public static ResolutionProgram<T> Compile<T>(Schema writerSchema, RecordMap<T> map, RecordSchema? readerSchema = null)
        where T : struct => ResolutionProgram<T>.Compile(writerSchema, map, readerSchema);

    /// <summary>Compiles the resolution, reporting failure instead of throwing.</summary>
    /// <typeparam name="T">The record struct.</typeparam>
    /// <param name="writerSchema">The schema the data was written with; must be a record.</param>
    /// <param name="map">The reader's record map.</param>
    /// <param name="readerSchema">An optional reader schema naming the map's fields, or <see langword="null"/>.</param>
    /// <param name="program">The compiled program, or <see langword="null"/>.</param>
    /// <param name="error">Why the schemas do not resolve, or <see langword="null"/>.</param>
    /// <returns><see langword="true"/> when the schemas resolve.</returns>
    public static bool TryCompile<T>(Schema writerSchema, RecordMap<T> map, RecordSchema? readerSchema, out ResolutionProgram<T>? program, out string? error)
        where T : struct => ResolutionProgram<T>.TryCompile(writerSchema, map, readerSchema, out program, out error);
}
