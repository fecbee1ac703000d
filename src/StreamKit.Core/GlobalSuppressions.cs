using System.Diagnostics.CodeAnalysis;

// Accumulators are unmanaged structs that aggregators update through `ref` on the hot path and snapshots copy as
// memory: fields, not properties, are the point.
[assembly: SuppressMessage("Design", "CA1051:Do not declare visible instance fields", Justification = "Accumulator updated by ref on the hot path.", Scope = "type", Target = "~T:StreamKit.Aggregates.Extremum`1")]
[assembly: SuppressMessage("Design", "CA1051:Do not declare visible instance fields", Justification = "Accumulator updated by ref on the hot path.", Scope = "type", Target = "~T:StreamKit.Aggregates.AverageAccumulator")]

// `error` is the out parameter of the Try pattern every decoder implements; the rule guards against VB's `Error`
// statement, and renaming it in every implementation would buy nothing for C# and F# callers.
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Try-pattern out parameter shared by every decoder.", Scope = "member", Target = "~M:StreamKit.Codecs.IRecordDecoder`1.TryDecode(System.ReadOnlySpan{System.Byte},`0@,System.String@)~System.Boolean")]
[assembly: SuppressMessage("Naming", "CA1716:Identifiers should not match keywords", Justification = "Try-pattern out parameter shared by every decoder.", Scope = "member", Target = "~M:StreamKit.Codecs.IRawRecordDecoder`1.TryDecode(StreamKit.Records.RawRecord@,`0@,System.String@)~System.Boolean")]

// Field kinds and the map's methods name the wire type they carry, as BinaryWriter.WriteInt32 and Utf8JsonWriter do.
[assembly: SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Names the wire type, like BinaryReader.ReadInt32.", Scope = "type", Target = "~T:StreamKit.Records.FieldKind")]
[assembly: SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Names the wire type, like BinaryReader.ReadInt32.", Scope = "member", Target = "~M:StreamKit.Records.RecordMap`1.Int32(System.String,StreamKit.Records.FieldSetter{`0,System.Int32},StreamKit.Records.FieldGetter{`0,System.Int32},System.Boolean)~StreamKit.Records.RecordMap{`0}")]
[assembly: SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Names the wire type, like BinaryReader.ReadInt64.", Scope = "member", Target = "~M:StreamKit.Records.RecordMap`1.Int64(System.String,StreamKit.Records.FieldSetter{`0,System.Int64},StreamKit.Records.FieldGetter{`0,System.Int64},System.Boolean)~StreamKit.Records.RecordMap{`0}")]
[assembly: SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Names the wire type, like BinaryReader.ReadDouble.", Scope = "member", Target = "~M:StreamKit.Records.RecordMap`1.Double(System.String,StreamKit.Records.FieldSetter{`0,System.Double},StreamKit.Records.FieldGetter{`0,System.Double},System.Boolean)~StreamKit.Records.RecordMap{`0}")]
[assembly: SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "Names the wire type, like BinaryReader.ReadString.", Scope = "member", Target = "~M:StreamKit.Records.RecordMap`1.String(System.String,StreamKit.Records.Utf8FieldSetter{`0},StreamKit.Records.Utf8FieldGetter{`0},System.Boolean)~StreamKit.Records.RecordMap{`0}")]
