using StreamKit.Avro.Container;
using Avro;

namespace StreamKit.Avro.Tests;

public class ContainerTests
{
    internal static readonly byte[] FixedSync = [0x5f, 0x1e, 0x9a, 0x03, 0xc7, 0x44, 0x21, 0xb0, 0x8d, 0x7e, 0x12, 0xf3, 0x66, 0x0a, 0xd9, 0x3c];

    internal static byte[] WriteFile(Click[] clicks, AvroCodec codec, int blockSize = 64 * 1024, byte[]? sync = null)
    {
        var encoder = new AvroEncoder<Click>(Clicks.Map, "Click", "streamkit.tests");
        using var stream = new MemoryStream();
        using (var writer = new AvroContainerWriter(stream, encoder.Schema, new AvroContainerWriterOptions { Codec = codec, BlockSize = blockSize, SyncMarker = sync, LeaveOpen = true }))
        {
            foreach (var click in clicks)
            {
                writer.Append(in click, encoder);
            }
        }

        return stream.ToArray();
    }

    internal static List<(Click Click, AvroRecordPosition Position)> ReadAll(byte[] file, List<string>? errors = null)
    {
        using var reader = new AvroContainerReader(new MemoryStream(file));
        var decoder = reader.CreateDecoder(Clicks.Map);
        var result = new List<(Click, AvroRecordPosition)>();
        while (true)
        {
            var status = reader.Read(out var bytes, out var position);
            if (status == AvroReadStatus.EndOfFile)
            {
                return result;
            }

            if (status == AvroReadStatus.Corrupt)
            {
                (errors ?? throw new InvalidOperationException(reader.LastError)).Add(reader.LastError!);
                continue;
            }

            var click = default(Click);
            if (decoder.TryDecode(bytes, ref click, out var error))
            {
                result.Add((click, position));
            }
            else
            {
                (errors ?? throw new InvalidOperationException(error)).Add(error!);
            }
        }
    }

    [Theory]
    [InlineData(AvroCodec.Null, 0)]
    [InlineData(AvroCodec.Null, 1)]
    [InlineData(AvroCodec.Null, 1000)]
    [InlineData(AvroCodec.Deflate, 0)]
    [InlineData(AvroCodec.Deflate, 1)]
    [InlineData(AvroCodec.Deflate, 1000)]
    public void Write_ThenRead_RoundTripsRecords(AvroCodec codec, int count)
    {
        var clicks = Clicks.Generate(count);
        var read = ReadAll(WriteFile(clicks, codec));
        Assert.Equal(clicks.Select(c => c.ToString()), read.Select(r => r.Click.ToString()));
    }

    [Theory]
    [InlineData(AvroCodec.Null)]
    [InlineData(AvroCodec.Deflate)]
    public void Write_SmallBlockSize_ManyBlocksWithPositions(AvroCodec codec)
    {
        var clicks = Clicks.Generate(300);
        var read = ReadAll(WriteFile(clicks, codec, blockSize: 200));
        Assert.Equal(300, read.Count);
        Assert.True(read[^1].Position.BlockIndex > 10);
        for (var i = 1; i < read.Count; i++)
        {
            var (prev, cur) = (read[i - 1].Position, read[i].Position);
            Assert.True(cur.BlockIndex == prev.BlockIndex ? cur.RecordIndex == prev.RecordIndex + 1 : cur.BlockIndex == prev.BlockIndex + 1 && cur.RecordIndex == 0 && cur.BlockOffset > prev.BlockOffset);
        }
    }

    [Fact]
    public void Write_LargeBlock_SingleBlockOfManyRecords()
    {
        var clicks = Clicks.Generate(50_000);
        var read = ReadAll(WriteFile(clicks, AvroCodec.Deflate, blockSize: 64 * 1024 * 1024));
        Assert.Equal(50_000, read.Count);
        Assert.All(read, r => Assert.Equal(0, r.Position.BlockIndex));
        Assert.Equal(clicks[^1].ToString(), read[^1].Click.ToString());
    }

    [Fact]
    public void Read_EmptyFile_HeaderOnlyEndsImmediately()
    {
        var file = WriteFile([], AvroCodec.Null, sync: FixedSync);
        using var reader = new AvroContainerReader(new MemoryStream(file));
        Assert.Equal(file.Length, reader.FirstBlockOffset);
        Assert.Equal(FixedSync, reader.SyncMarker.ToArray());
        Assert.Equal(AvroReadStatus.EndOfFile, reader.Read(out _, out _));
        Assert.Equal(AvroReadStatus.EndOfFile, reader.Read(out _, out _));
    }

    [Fact]
    public void Read_BadSyncMarker_ReportsCorruptAndContinuesAtNextBlock()
    {
        var clicks = Clicks.Generate(100);
        var file = WriteFile(clicks, AvroCodec.Null, blockSize: 300);
        var intact = ReadAll(file);
        var blocks = intact.GroupBy(r => r.Position.BlockIndex).ToList();
        Assert.True(blocks.Count >= 4);

        // Corrupt the sync marker that ends block 1: it sits just before block 2's first byte.
        var block2Offset = blocks[2].First().Position.BlockOffset;
        file[block2Offset - 3] ^= 0xFF;
        var errors = new List<string>();
        var read = ReadAll(file, errors);
        Assert.Single(errors);
        Assert.Contains("sync marker", errors[0], StringComparison.Ordinal);
        // The damaged marker ends block 1, so resynchronising lands after block 2's marker: both are lost.
        Assert.Equal(intact.Count - blocks[1].Count() - blocks[2].Count(), read.Count);
        Assert.Equal(intact[^1].Click.ToString(), read[^1].Click.ToString());
    }

    [Fact]
    public void Read_CorruptBlockSize_ResyncsAtNextSyncMarker()
    {
        var file = WriteFile(Clicks.Generate(100), AvroCodec.Deflate, blockSize: 300);
        var intact = ReadAll(file);
        var firstBlock = intact[0].Position.BlockOffset;
        file[firstBlock + 1] = 0x7E; // the size varint becomes 63, which misses the sync marker
        var errors = new List<string>();
        var read = ReadAll(file, errors);
        Assert.NotEmpty(errors);
        Assert.Equal(intact.Count - intact.Count(r => r.Position.BlockIndex == 0), read.Count);
    }

    [Fact]
    public void Read_TruncatedFile_ReportsThenEnds()
    {
        var file = WriteFile(Clicks.Generate(50), AvroCodec.Null, blockSize: 500);
        var errors = new List<string>();
        var read = ReadAll(file[..^5], errors);
        Assert.Single(errors);
        Assert.Contains("truncated", errors[0], StringComparison.Ordinal);
        Assert.True(read.Count < 50);
    }

    [Fact]
    public void Ctor_NotAContainer_ThrowsInvalidData()
    {
        Assert.Throws<InvalidDataException>(() => new AvroContainerReader(new MemoryStream("Obj\u0002xxxxxxxxxxxxxxxxxxxxxxxx"u8.ToArray())));
        Assert.Throws<InvalidDataException>(() => new AvroContainerReader(new MemoryStream([])));
        var file = WriteFile(Clicks.Generate(1), AvroCodec.Null);
        Assert.Throws<InvalidDataException>(() => new AvroContainerReader(new MemoryStream(file[..20])));
    }

    [Fact]
    public void Seek_SavedPosition_ResumesMidBlock()
    {
        var clicks = Clicks.Generate(200);
        var file = WriteFile(clicks, AvroCodec.Deflate, blockSize: 400);
        var all = ReadAll(file);
        var resumeAt = all[137];
        using var reader = new AvroContainerReader(new MemoryStream(file));
        Assert.True(reader.Seek(resumeAt.Position));
        var decoder = reader.CreateDecoder(Clicks.Map);
        var rest = new List<string>();
        while (reader.Read(out var bytes, out var position) == AvroReadStatus.Record)
        {
            var click = default(Click);
            Assert.True(decoder.TryDecode(bytes, ref click, out _));
            rest.Add(click.ToString());
            if (rest.Count == 1)
            {
                Assert.Equal(resumeAt.Position, position);
            }
        }

        Assert.Equal(all.Skip(137).Select(r => r.Click.ToString()), rest);
        Assert.False(reader.Seek(resumeAt.Position with { RecordIndex = 10_000 }));
    }

    [Fact]
    public void Read_RandomByteFlips_NeverThrows()
    {
        var original = WriteFile(Clicks.Generate(60), AvroCodec.Null, blockSize: 300);
        var deflated = WriteFile(Clicks.Generate(60), AvroCodec.Deflate, blockSize: 300);
        var random = new Random(7);
        foreach (var source in new[] { original, deflated })
        {
            for (var trial = 0; trial < 300; trial++)
            {
                var file = (byte[])source.Clone();
                for (var flips = random.Next(1, 4); flips > 0; flips--)
                {
                    file[random.Next(file.Length)] ^= (byte)random.Next(1, 256);
                }

                try
                {
                    using var reader = new AvroContainerReader(new MemoryStream(file));
                    var decoder = reader.CreateDecoder(Clicks.Map);
                    for (var guard = 0; guard < 10_000; guard++)
                    {
                        var status = reader.Read(out var bytes, out _);
                        if (status == AvroReadStatus.EndOfFile)
                        {
                            break;
                        }

                        var click = default(Click);
                        decoder.TryDecode(bytes, ref click, out _);
                    }
                }
                catch (InvalidDataException)
                {
                    // A flipped header is reported by the constructor; that is the documented behaviour.
                }
                catch (AvroTypeException)
                {
                    // A flipped schema that still parses but no longer resolves against the map.
                }
            }
        }
    }

    [Fact]
    public void Writer_CustomMetadata_ReadBack()
    {
        using var stream = new MemoryStream();
        var schema = Clicks.Map.ToAvroSchema("Click");
        using (var writer = new AvroContainerWriter(stream, schema, new AvroContainerWriterOptions { LeaveOpen = true, Metadata = new Dictionary<string, byte[]> { ["app"] = "streamkit"u8.ToArray() } }))
        {
            Assert.Equal(0, writer.BlockCount);
        }

        stream.Position = 0;
        using var reader = new AvroContainerReader(stream);
        Assert.Equal("streamkit"u8.ToArray(), reader.Metadata["app"]);
        Assert.Equal(SchemaNormalization.ToParsingForm(schema), SchemaNormalization.ToParsingForm(reader.WriterSchema));
        Assert.Throws<ArgumentException>(() => new AvroContainerWriter(new MemoryStream(), schema, new AvroContainerWriterOptions { Metadata = new Dictionary<string, byte[]> { ["avro.x"] = [] } }));
    }
}
