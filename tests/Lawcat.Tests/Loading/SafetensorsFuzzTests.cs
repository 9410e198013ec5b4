using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.IO;

namespace Lawcat.Tests.Loading;

/// <summary>
/// Mutated safetensors files either load exactly the bytes they describe or are refused with a
/// <see cref="LawcatException"/> naming the file; nothing else escapes and nothing hangs.
/// </summary>
public class SafetensorsFuzzTests
{
    const int Cases = 2000;
    static readonly string[] Names = { "a", "b", "c", "d", "e", "f", "g" };
    static readonly (string DType, long[] Shape, int Bytes)[] Tensors =
    {
        ("F32", new long[] { 2, 3 }, 24), ("BF16", new long[] { 4 }, 8), ("I64", new long[] { 2 }, 16),
        ("F32", new long[] { 0, 7 }, 0), ("U8", new long[] { 5 }, 5), ("BOOL", new long[] { 3 }, 3), ("I16", new long[] { 1, 2 }, 4),
    };

    static JsonObject BaseHeader()
    {
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        for (int i = 0; i < Names.Length; i++)
        {
            var (dtype, shape, bytes) = Tensors[i];
            header[Names[i]] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(shape.Select(d => (JsonNode?)JsonValue.Create(d)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            offset += bytes;
        }
        return header;
    }

    static byte[] BaseData(int seed)
    {
        var data = new byte[Tensors.Sum(t => t.Bytes)];
        new Random(seed).NextBytes(data);
        return data;
    }

    /// <summary>One mutated file and what was done to it.</summary>
    static (byte[] Bytes, string What) Mutate(FuzzMutations m, int i, byte[] data)
    {
        var header = BaseHeader();
        var valid = SafetensorsBytes.Build(header.ToJsonString(), data);
        int headerEnd = valid.Length - data.Length;
        var entry = header[m.Pick(Names)]!.AsObject();
        switch (i % 10)
        {
            case 0: return (m.FlipBits(valid), "bit flips");
            case 1: return (m.FlipBits(valid[..headerEnd]).Concat(data).ToArray(), "bit flips in the header");
            case 2: return (m.FlipBits(valid, headerEnd), "bit flips in the data");
            case 3: return (m.Truncate(valid), "truncation");
            case 4: return (m.Append(valid), "trailing bytes");
            case 5:
                entry["data_offsets"]![m.Next(0, 2)] = m.Next(0, 2) == 0 ? m.Value() : JsonValue.Create(entry["data_offsets"]![0]!.GetValue<long>() + m.Next(-9, 10));
                return (SafetensorsBytes.Build(header.ToJsonString(), data), "offset edit");
            case 6:
                if (m.Next(0, 2) == 0) entry["shape"] = m.Value();
                else entry["shape"] = new JsonArray(entry["shape"]!.AsArray().Select(d => (JsonNode?)(m.Next(0, 2) == 0 ? m.Value() : JsonValue.Create(d!.GetValue<long>()))).ToArray());
                return (SafetensorsBytes.Build(header.ToJsonString(), data), "shape edit");
            case 7:
                entry["dtype"] = m.Value();
                return (SafetensorsBytes.Build(header.ToJsonString(), data), "dtype edit");
            case 8: return (SafetensorsBytes.Build(StructureEdit(m, header, entry), data), "duplicate, removal or swap");
            default:
                var edited = (byte[])valid.Clone();
                if (m.Next(0, 2) == 0) BitConverter.GetBytes(BitConverter.ToInt64(valid) + m.Next(-16, 17)).CopyTo(edited, 0);
                else header["__metadata__"]!["format"] = m.Value();
                return (m.Next(0, 2) == 0 ? edited : SafetensorsBytes.Build(header.ToJsonString(), data), "length or metadata edit");
        }
    }

    static string StructureEdit(FuzzMutations m, JsonObject header, JsonObject entry)
    {
        var fields = new[] { "dtype", "shape", "data_offsets" };
        switch (m.Next(0, 4))
        {
            case 0: return FuzzMutations.DuplicateKey(header.ToJsonString(), m.Pick(Names.Concat(fields).ToArray()), m.Value());
            case 1: entry.Remove(m.Pick(fields)); break;
            case 2:
                var other = header[m.Pick(Names)]!.AsObject();
                var field = m.Pick(fields);
                (entry[field], other[field]) = (other[field]?.DeepClone(), entry[field]?.DeepClone());
                break;
            default:
                string f1 = m.Pick(fields), f2 = m.Pick(fields);
                (entry[f1], entry[f2]) = (entry[f2]?.DeepClone(), entry[f1]?.DeepClone());
                break;
        }
        return header.ToJsonString();
    }

    /// <summary>What a loaded file must satisfy, checked from its bytes alone.</summary>
    static void AssertLoadedExactly(SafetensorsFile f, byte[] bytes)
    {
        long dataStart = 8 + BitConverter.ToInt64(bytes);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)dataStart - 8));
        Assert.Equal(doc.RootElement.EnumerateObject().Count(p => p.Name != "__metadata__"), f.Entries.Count);
        long end = 0;
        foreach (var e in f.Entries.Values.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            Assert.Equal(end, e.Begin);
            end = e.End;
            var json = doc.RootElement.GetProperty(e.Name);
            Assert.Equal(json.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()), e.Shape);
            LawcatException? unreadable = null;
            TorchSharp.torch.Tensor? t = null;
            try { t = f.Read(e.Name); }
            catch (LawcatException x) { unreadable = x; }
            if (unreadable != null) { Assert.StartsWith(f.Path + ": ", unreadable.Message); continue; }
            using (t)
            {
                Assert.Equal(e.Shape, t!.shape);
                Assert.Equal(e.End - e.Begin, t.NumberOfElements * t.ElementSize);
                Assert.Equal(bytes[(int)(dataStart + e.Begin)..(int)(dataStart + e.End)], t.bytes.ToArray());
            }
        }
        Assert.Equal(bytes.Length - dataStart, end);
    }

    [Fact]
    public void MutatedFilesLoadExactlyOrAreRefusedByName()
    {
        var m = new FuzzMutations(12);
        var path = Path.Combine(TestPaths.NewTempDir(), "fuzz.safetensors");
        int loaded = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            var (bytes, what) = Mutate(m, i, BaseData(i));
            File.WriteAllBytes(path, bytes);
            try
            {
                AssertLoadedExactly(SafetensorsFile.Open(path), bytes);
                loaded++;
            }
            catch (LawcatException e)
            {
                Assert.True(e.Message.StartsWith(path + ": "), $"case {i} ({what}): the error does not name the file: {e.Message}");
                Assert.False(i % 10 == 2, $"case {i} ({what}): a file with valid header and damaged data must load: {e.Message}");
                Assert.DoesNotContain('\n', e.Message);
                refused++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"case {i} ({what}): {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(50), $"{Cases} files took {clock.Elapsed}");
        Assert.True(loaded >= Cases / 10 && refused >= Cases / 2, $"{loaded} loaded, {refused} refused: the mutations no longer cover both outcomes");
    }
}
