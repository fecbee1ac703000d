namespace StreamKit;

/// <summary>
/// A sink whose output becomes visible only when a checkpoint that covers it is saved, so output is exactly once
/// relative to checkpoints (the file sink: write under a temporary name, rename on commit).
/// </summary>
/// <remarks>
/// The runner calls <see cref="IRecordSink{T}.FlushAsync"/> (prepare: make the output durable but invisible), saves
/// the checkpoint — which includes the sink's own state if it is also <see cref="State.ICheckpointed"/>, so a
/// restore can finish a commit a crash interrupted — and then <see cref="CommitAsync"/>.
/// </remarks>
public interface ITransactionalSink
{
    /// <summary>Publishes everything prepared by the last flush.</summary>
    ValueTask CommitAsync(CancellationToken cancellationToken = default);
}
