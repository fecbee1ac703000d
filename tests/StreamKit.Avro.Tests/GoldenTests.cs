using System.Buffers;
using StreamKit.Avro.Container;
using StreamKit.Avro.Framing;

namespace StreamKit.Avro.Tests;

/// <summary>Checked-in wire bytes: any change to the encoding shows up as a diff (regenerate with STREAMKIT_UPDATE_GOLDEN=1).</summary>
public class GoldenTests
{
    private static readonly AvroEncoder<Click> s_encoder = new(Clicks.Map, "Click", "streamkit.tests");

    internal static Click[] GoldenClicks() =>
    [
        new Click { Ts = 1_700_000_000_123, UserId = 42, PageId = 7, EventType = Clicks.Id("click"), DurationMs = 250, Revenue = 9.5, IsBot = false, Referrer = Clicks.Id("https://a.example/") + 1 },
        new Click { Ts = 0, UserId = -1, PageId = long.MaxValue, EventType = Clicks.Id("view"), DurationMs = int.MinValue, Revenue = -0.25, IsBot = true, Referrer = Clicks.Id("") + 1 },
        new Click { Ts = -62_135_596_800_000, UserId = long.MinValue, PageId = 0, EventType = Clicks.Id("purchase"), DurationMs = int.MaxValue, Revenue = 1e300, IsBot = false, Referrer = Clicks.Id("ünïcødé ✓") + 1 },
    ];

    private static void Check(string name, byte[] actual)
    {
        if (TestPaths.UpdateGolden)
        {
            File.WriteAllBytes(Path.Combine(TestPaths.GoldenSource(), name), actual);
            return;
        }

        var path = TestPaths.Golden(name);
        Assert.True(File.Exists(path), $"Golden file {name} is missing: run with STREAMKIT_UPDATE_GOLDEN=1 once.");
        Assert.Equal(File.ReadAllBytes(path), actual);
    }

    [Fact]
    public void Schema_ClickMap_MatchesGolden()
    {
        Check("click.avsc", System.Text.Encoding.UTF8.GetBytes(s_encoder.Schema.ToString() + "\n"));
    }

    [Fact]
    public void Encode_GoldenClick_MatchesBodyAndFramings()
    {
        var click = GoldenClicks()[0];
        var body = new ArrayBufferWriter<byte>();
        s_encoder.Encode(in click, body);
        Check("click-body.bin", body.WrittenSpan.ToArray());

        var single = new ArrayBufferWriter<byte>();
        new AvroFramedEncoder<Click>(s_encoder, AvroFraming.SingleObject).Encode(in click, single);
        Check("click-single-object.bin", single.WrittenSpan.ToArray());

        var registry = new ArrayBufferWriter<byte>();
        new AvroFramedEncoder<Click>(s_encoder, AvroFraming.SchemaRegistry, 42).Encode(in click, registry);
        Check("click-registry.bin", registry.WrittenSpan.ToArray());
    }

    [Fact]
    public void ContainerWriter_NullCodec_MatchesGoldenBytes()
    {
        Check("clicks-null.avro", ContainerTests.WriteFile(GoldenClicks(), AvroCodec.Null, sync: ContainerTests.FixedSync));
    }

    [Fact]
    public void ContainerReader_GoldenDeflateFile_DecodesGoldenClicks()
    {
        // Deflate output may change with the runtime's zlib, so the deflate golden file is checked by content.
        if (TestPaths.UpdateGolden)
        {
            File.WriteAllBytes(Path.Combine(TestPaths.GoldenSource(), "clicks-deflate.avro"), ContainerTests.WriteFile(GoldenClicks(), AvroCodec.Deflate, sync: ContainerTests.FixedSync));
        }

        var read = ContainerTests.ReadAll(File.ReadAllBytes(TestPaths.Golden("clicks-deflate.avro")));
        Assert.Equal(GoldenClicks().Select(c => c.ToString()), read.Select(r => r.Click.ToString()));
    }

    [Fact]
    public void Decode_GoldenBody_IsGoldenClick()
    {
        var decoder = new AvroDecoder<Click>(s_encoder.Schema, Clicks.Map);
        var click = default(Click);
        Assert.True(decoder.TryDecode(File.ReadAllBytes(TestPaths.Golden("click-body.bin")), ref click, out var error), error);
        Assert.Equal(GoldenClicks()[0].ToString(), click.ToString());
    }
}
