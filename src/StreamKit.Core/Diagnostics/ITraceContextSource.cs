using System.Diagnostics;

namespace StreamKit.Diagnostics;

/// <summary>A record source whose records can carry upstream trace context (e.g. a Kafka <c>traceparent</c> header).</summary>
/// <remarks>The runner asks only while <see cref="StreamKitActivities.Source"/> has listeners, right after a <c>ReadAsync</c> that returned records.</remarks>
public interface ITraceContextSource
{
    /// <summary>Adds the distinct trace contexts of the records in the batch last returned by <c>ReadAsync</c> (at most <see cref="StreamKitActivities.MaxLinksPerBatch"/>).</summary>
    /// <param name="contexts">Where the contexts go; the caller clears it between batches.</param>
    void CopyTraceContexts(List<ActivityContext> contexts);
}
