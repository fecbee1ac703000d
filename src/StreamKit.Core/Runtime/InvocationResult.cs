namespace StreamKit.Runtime;

/// <summary>What one invocation did with its batch.</summary>
/// <param name="Taken">Records from the start of the batch that were processed, skipped or dead-lettered; the rest were not touched and must be reported as failed so the platform redelivers them.</param>
/// <param name="Processed">Records decoded and given to a pipeline.</param>
/// <param name="Skipped">Records at or before their partition's last applied sequence number: a retried or duplicated delivery, already counted.</param>
/// <param name="DeadLettered">Records sent to the dead-letter sink (they count as handled).</param>
public readonly record struct InvocationResult(int Taken, int Processed, int Skipped, int DeadLettered);
