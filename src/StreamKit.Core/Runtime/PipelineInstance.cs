using StreamKit.Codecs;
using StreamKit.Pipeline;

namespace StreamKit.Runtime;

/// <summary>A pipeline and the decoder that feeds it, built together because a decoder may intern keys into state the pipeline checkpoints.</summary>
/// <param name="Pipeline">The built pipeline.</param>
/// <param name="Decoder">How payloads become its records.</param>
/// <typeparam name="T">The record type.</typeparam>
public sealed record PipelineInstance<T>(Pipeline<T> Pipeline, IRecordDecoder<T> Decoder)
    where T : struct;
