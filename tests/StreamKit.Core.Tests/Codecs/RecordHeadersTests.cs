using System.Text;
using StreamKit.Codecs;
using StreamKit.Records;

namespace StreamKit.Core.Tests.Codecs;

public class RecordHeadersTests
{
    [Fact]
    public void Headers_TravelWithTheirRecord_InOrderWithRepeatsNullsAndEmpties()
    {
        using var batch = new RawRecordBatch(2);
        batch.Add("a"u8, "k1"u8, 1, 10, headers: new RecordHeaders(Encoded(("trace", "t-1"), ("tenant", "blue"), ("trace", "t-2"))));
        batch.Add("b"u8, default, 2, 20);
        batch.Add("c"u8, "k3"u8, 3, 30, headers: new RecordHeaders(Encoded(("empty", ""), ("nothing", null))));

        // Growing past the initial capacity keeps every record's headers with it.
        for (var i = 4; i < 200; i++)
        {
            batch.Add(Encoding.UTF8.GetBytes(new string('x', 300)), default, i, i, headers: new RecordHeaders(Encoded(("n", i.ToString(System.Globalization.CultureInfo.InvariantCulture)))));
        }

        Assert.Equal(["trace=t-1", "tenant=blue", "trace=t-2"], Headers(batch[0].Headers));
        Assert.True(batch[0].Headers.TryGetLast("trace"u8, out var trace));
        Assert.Equal("t-2", Encoding.UTF8.GetString(trace));
        Assert.Equal("a", Encoding.UTF8.GetString(batch[0].Value));
        Assert.Equal("k1", Encoding.UTF8.GetString(batch[0].Key));

        Assert.True(batch[1].Headers.IsEmpty);
        Assert.False(batch[1].Headers.TryGetLast("trace"u8, out _));

        Assert.Equal(["empty=", "nothing=(null)"], Headers(batch[2].Headers));
        Assert.Equal("c", Encoding.UTF8.GetString(batch[2].Value));
        for (var i = 4; i < 200; i++)
        {
            Assert.True(batch[i - 1].Headers.TryGetLast("n"u8, out var n));
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(n));
            Assert.Equal(300, batch[i - 1].Value.Length);
        }
    }

    [Fact]
    public void Enumerate_TruncatedEncoding_FailsClearly()
    {
        var encoded = new byte[RecordHeaders.EncodedLength(4, 3)];
        RecordHeaders.Encode(encoded, "name"u8, "val"u8);
        Assert.Equal(["name=val"], Headers(new RecordHeaders(encoded)));
        Assert.Throws<InvalidDataException>(() => Headers(new RecordHeaders(encoded.AsSpan(0, encoded.Length - 1))));
    }

    [Fact]
    public void EnrichingDecoder_FillsFieldsFromKeyAndHeaders_AndDeadLettersWhatItRejects()
    {
        var decoder = new EnrichingDecoder<Sample>(new SampleDecoder(), static (ref Sample s, in RawRecord raw) =>
        {
            if (!raw.Headers.TryGetLast("tenant"u8, out var tenant))
            {
                return "no tenant header";
            }

            s.Tenant = tenant.Length;
            s.KeyLength = raw.Key.Length;
            return null;
        });
        using var batch = new RawRecordBatch(2);
        batch.Add("7"u8, "key"u8, 1, 0, headers: new RecordHeaders(Encoded(("tenant", "blue"))));
        batch.Add("8"u8, "key"u8, 2, 0);

        var first = default(Sample);
        Assert.True(decoder.TryDecode(batch[0], ref first, out var error), error);
        Assert.Equal(new Sample { Value = 7, Tenant = 4, KeyLength = 3 }, first);
        var second = default(Sample);
        Assert.False(decoder.TryDecode(batch[1], ref second, out error));
        Assert.Equal("no tenant header", error);
    }

    [Theory]
    [InlineData("{}\n", "{}")]
    [InlineData("{}\r\n", "{}")]
    [InlineData("{}", "{}")]
    [InlineData("\n", "")]
    [InlineData("", "")]
    [InlineData("a\nb\n", "a\nb")]
    public void WithoutLineEnd_DropsOneTrailingLineEndOnly(string encoded, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(EncodedRecord.WithoutLineEnd(Encoding.UTF8.GetBytes(encoded))));

    /// <summary>Headers in <see cref="RecordHeaders"/>' encoding; a null value is a null header.</summary>
    private static byte[] Encoded(params (string Name, string? Value)[] headers)
    {
        var bytes = new List<byte>();
        foreach (var (name, value) in headers)
        {
            var nameBytes = Encoding.UTF8.GetBytes(name);
            var valueBytes = Encoding.UTF8.GetBytes(value ?? "");
            var header = new byte[RecordHeaders.EncodedLength(nameBytes.Length, valueBytes.Length)];
            bytes.AddRange(header.AsSpan(0, RecordHeaders.Encode(header, nameBytes, valueBytes, isNull: value is null)).ToArray());
        }

        return [.. bytes];
    }

    private static List<string> Headers(RecordHeaders headers)
    {
        var list = new List<string>();
        foreach (var header in headers)
        {
            list.Add(Encoding.UTF8.GetString(header.Name) + "=" + (header.IsNull ? "(null)" : Encoding.UTF8.GetString(header.Value)));
        }

        return list;
    }

    internal record struct Sample(int Value, int Tenant, int KeyLength);

    /// <summary>A payload of one ASCII digit.</summary>
    internal sealed class SampleDecoder : IRecordDecoder<Sample>
    {
        public bool TryDecode(ReadOnlySpan<byte> payload, ref Sample record, out string? error)
        {
            error = payload.Length == 1 && char.IsAsciiDigit((char)payload[0]) ? null : "not a digit";
            record.Value = error is null ? payload[0] - '0' : 0;
            return error is null;
        }
    }
}
