using System.Diagnostics;
using System.Text.Json.Nodes;
using Lawcat.Llama;

namespace Lawcat.Tests.Loading;

/// <summary>
/// Mutated config.json files either load the values they hold, as a config that describes a working model, or are
/// refused with a <see cref="LawcatException"/> naming the file; nothing else escapes.
/// </summary>
public class ConfigFuzzTests
{
    const int Cases = 1000;
    static readonly string[] Sizes = { "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "vocab_size", "max_position_embeddings" };

    static JsonObject BaseConfig() => JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.LlamaFixture("gqa4-untied-llama3"), "config.json")))!.AsObject();

    static (byte[] Bytes, string What) Mutate(FuzzMutations m, int i)
    {
        var o = BaseConfig();
        var rope = o["rope_parameters"]!.AsObject();
        string TopKey() => m.Pick(o.Select(kv => kv.Key).ToArray());
        switch (i % 8)
        {
            case 0: o[m.Next(0, 2) == 0 ? m.Pick(Sizes) : TopKey()] = m.Value(); return (Json(o), "value edit");
            case 1: rope[m.Pick(rope.Select(kv => kv.Key).ToArray())] = m.Value(); return (Json(o), "rope value edit");
            case 2:
                if (m.Next(0, 2) == 0) o.Remove(TopKey()); else rope.Remove(m.Pick(rope.Select(kv => kv.Key).ToArray()));
                return (Json(o), "removal");
            case 3:
                string a = TopKey(), b = m.Next(0, 2) == 0 ? m.Pick(Sizes) : TopKey();
                (o[a], o[b]) = (o[b]?.DeepClone(), o[a]?.DeepClone());
                return (Json(o), "swap");
            case 4: return (FuzzMutations.Utf8(FuzzMutations.DuplicateKey(o.ToJsonString(), TopKey(), m.Value())), "duplicate key");
            case 5: return (m.FlipBits(Json(o)), "bit flips");
            case 6: return (m.Truncate(Json(o)), "truncation");
            default:
                for (int n = m.Next(2, 4); n > 0; n--) o[m.Pick(Sizes)] = JsonValue.Create(m.Next(-2, 130));
                return (Json(o), "several sizes");
        }
    }

    static byte[] Json(JsonObject o) => FuzzMutations.Utf8(o.ToJsonString());

    /// <summary>The loaded config holds the file's integer sizes and describes a model that can run.</summary>
    static void AssertLoadedFaithfully(LlamaConfig c, byte[] bytes)
    {
        var o = JsonNode.Parse(bytes)!.AsObject();
        int[] loaded = { c.HiddenSize, c.IntermediateSize, c.NumHiddenLayers, c.NumAttentionHeads, c.NumKeyValueHeads, c.HeadDim, c.VocabSize, c.MaxPositionEmbeddings };
        for (int k = 0; k < Sizes.Length; k++)
            if (o[Sizes[k]] is JsonValue v && v.TryGetValue<int>(out var size)) Assert.Equal(size, loaded[k]);
        Assert.All(loaded, size => Assert.True(size > 0));
        Assert.Equal(0, c.NumAttentionHeads % c.NumKeyValueHeads);
        Assert.Equal(0, c.HeadDim % 2);
        if (o["head_dim"] is null) Assert.Equal(c.HiddenSize, c.NumAttentionHeads * c.HeadDim);
        Assert.True(double.IsFinite(c.RmsNormEps) && c.RmsNormEps >= 0);
        Assert.True(double.IsFinite(c.RopeTheta) && c.RopeTheta > 0);
        if (c.RopeScaling.RopeType != "default") Assert.True(c.RopeScaling.Factor > 0);
        if (c.RopeScaling.RopeType == "llama3")
            Assert.True(c.RopeScaling.HighFreqFactor > c.RopeScaling.LowFreqFactor && c.RopeScaling.LowFreqFactor > 0 && c.RopeScaling.OriginalMaxPositionEmbeddings > 0);
    }

    [Fact]
    public void MutatedConfigsLoadFaithfullyOrAreRefusedByName()
    {
        var m = new FuzzMutations(10);
        var path = Path.Combine(TestPaths.NewTempDir(), "config.json");
        int loaded = 0, refused = 0;
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < Cases; i++)
        {
            var (bytes, what) = Mutate(m, i);
            File.WriteAllBytes(path, bytes);
            try
            {
                AssertLoadedFaithfully(LlamaConfig.FromFile(path), bytes);
                loaded++;
            }
            catch (LawcatException e)
            {
                Assert.True(e.Message.StartsWith(path + ": "), $"case {i} ({what}): the error does not name the file: {e.Message}");
                refused++;
            }
            catch (Exception e) when (e is not Xunit.Sdk.XunitException)
            {
                Assert.Fail($"case {i} ({what}): {e.GetType().Name}: {e.Message}");
            }
        }
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"{Cases} configs took {clock.Elapsed}");
        Assert.True(loaded >= Cases / 10 && refused >= Cases / 4, $"{loaded} loaded, {refused} refused: the mutations no longer cover both outcomes");
    }
}
