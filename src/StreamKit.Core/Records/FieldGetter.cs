namespace StreamKit.Records;

/// <summary>Reads a field of a record for encoding.</summary>
public delegate TValue FieldGetter<T, out TValue>(in T record);
