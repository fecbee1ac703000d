namespace StreamKit.State;

/// <summary>Something whose state goes into a pipeline checkpoint (operators, interners, user state).</summary>
/// <remarks>Snapshots are taken and restored between batches, on the processing thread.</remarks>
public interface ICheckpointed
{
    /// <summary>Writes the current state.</summary>
    void WriteState(StateWriter writer);

    /// <summary>Replaces the current state with a snapshot written by <see cref="WriteState"/>.</summary>
    void ReadState(ref StateReader reader);
}
