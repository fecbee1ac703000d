namespace StreamKit.Records;

/// <summary>Stores a UTF-8 string field; returns <see langword="false"/> when the value is not acceptable (the record is dead-lettered).</summary>
/// <remarks>The span is only valid during the call: intern it (see <see cref="Keys.Utf8Interner"/>) or parse it, never keep it.</remarks>
public delegate bool Utf8FieldSetter<T>(ref T record, ReadOnlySpan<byte> utf8);
