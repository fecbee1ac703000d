namespace StreamKit.Records;

/// <summary>Stores a decoded value into a field of the record being built.</summary>
/// <remarks>Called once per field per record on the hot path: keep it a <c>static</c> lambda that captures nothing.</remarks>
public delegate void FieldSetter<T, in TValue>(ref T record, TValue value);
