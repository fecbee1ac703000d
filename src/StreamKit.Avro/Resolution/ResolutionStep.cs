using StreamKit.Avro.Binary;
using StreamKit.Records;

namespace StreamKit.Avro.Resolution;

/// <summary>What one step of a <see cref="ResolutionProgram{T}"/> does.</summary>
internal enum StepOp : byte
{
    /// <summary>Read a writer <c>int</c> into the field (promoting to long or double as the field needs).</summary>
    IntToField,

    /// <summary>Read a writer <c>long</c> into the field.</summary>
    LongToField,

    /// <summary>Read a writer <c>float</c> into a double field.</summary>
    FloatToField,

    /// <summary>Read a writer <c>double</c> into a double field.</summary>
    DoubleToField,

    /// <summary>Read a writer <c>boolean</c> into the field.</summary>
    BooleanToField,

    /// <summary>Read a writer <c>string</c> or <c>bytes</c> into a string field.</summary>
    BytesToField,

    /// <summary>Read a writer enum index and store its (possibly reader-mapped) symbol into a string field.</summary>
    EnumToField,

    /// <summary>Read a union branch index and run that branch's step.</summary>
    Union,

    /// <summary>Skip one value of the writer's schema (a field the reader does not map).</summary>
    Skip,

    /// <summary>A null value: the field stays absent.</summary>
    Null,

    /// <summary>Store the reader schema's integer default.</summary>
    DefaultInt64,

    /// <summary>Store the reader schema's float default.</summary>
    DefaultDouble,

    /// <summary>Store the reader schema's boolean default.</summary>
    DefaultBoolean,

    /// <summary>Store the reader schema's string default.</summary>
    DefaultString,

    /// <summary>A union branch the reader cannot accept: fail the record with <see cref="ResolutionStep{T}.Message"/>.</summary>
    Fail,
}

/// <summary>One instruction of a compiled resolution program; a struct so the program is one flat array.</summary>
internal readonly struct ResolutionStep<T>
    where T : struct
{
    public ResolutionStep(StepOp op, RecordField<T>? field = null, AvroSkipPlan? skip = null)
    {
        Op = op;
        Field = field;
        Skip = skip;
    }

    public StepOp Op { get; init; }

    /// <summary>The reader field the step stores into, or <see langword="null"/>.</summary>
    public RecordField<T>? Field { get; init; }

    /// <summary>The writer schema of the skipped value (<see cref="StepOp.Skip"/>).</summary>
    public AvroSkipPlan? Skip { get; init; }

    /// <summary>Enum symbols by writer index (a <see langword="null"/> entry has no reader symbol) or the string default as element 0.</summary>
    public byte[]?[]? Symbols { get; init; }

    /// <summary>Where a union's branch steps start in the program array.</summary>
    public int BranchStart { get; init; }

    /// <summary>How many branches a union has.</summary>
    public int BranchCount { get; init; }

    /// <summary>The integer default, or the bits of the double default.</summary>
    public long Default { get; init; }

    /// <summary>The failure reason of a <see cref="StepOp.Fail"/> step, or the writer field name for other errors.</summary>
    public string? Message { get; init; }
}
