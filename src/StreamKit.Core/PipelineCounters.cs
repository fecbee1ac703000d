namespace StreamKit;

/// <summary>Counts kept by a pipeline: what came in, went out, and was lost or late. Read them between batches.</summary>
public sealed class PipelineCounters
{
    internal long RecordsIn;
    internal long RecordsOut;
    internal long LateEvents;
    internal long LateDropped;
    internal long WindowsFired;

    /// <summary>Records given to the pipeline.</summary>
    public long In => RecordsIn;

    /// <summary>Records written to the sink.</summary>
    public long Out => RecordsOut;

    /// <summary>Events that arrived after every window they belong to had closed.</summary>
    public long Late => LateEvents;

    /// <summary>Late events dropped (policy <c>Drop</c>, or too late to update).</summary>
    public long Dropped => LateDropped;

    /// <summary>Window results emitted.</summary>
    public long Fired => WindowsFired;
}
