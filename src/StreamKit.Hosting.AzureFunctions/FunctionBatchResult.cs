namespace StreamKit.Hosting.AzureFunctions;

/// <summary>What one Azure Functions invocation did with its batch: every record is accounted for in one of the counts.</summary>
/// <param name="Processed">Records decoded and given to the pipeline.</param>
/// <param name="Skipped">Records at or before their partition's last applied sequence number: a delivery of records already counted.</param>
/// <param name="DeadLettered">Records written to a dead-letter sink: malformed ones and those in <paramref name="PastDeadline"/>.</param>
/// <param name="PastDeadline">Records not processed because the invocation's deadline came near; they are among <paramref name="DeadLettered"/>.</param>
public readonly record struct FunctionBatchResult(int Processed, int Skipped, int DeadLettered, int PastDeadline);
