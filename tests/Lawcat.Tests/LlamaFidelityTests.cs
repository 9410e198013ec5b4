using Lawcat.IO;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests;

/// <summary>
/// Our Llama against Hugging Face transformers' outputs for random-weight models (tests/fixtures/llama, made by
/// scripts/device/make_fixtures.py). Tolerance: max abs error ≤ 1e-4 × the reference's max abs value, fp32.
/// </summary>
[Trait("Category", "Fidelity")]
public class LlamaFidelityTests
{
    const double Tol = 1e-4;

    public static IEnumerable<object[]> Fixtures => TestPaths.LlamaFixtures.Select(f => new object[] { f });

    static (LlamaModel Model, Dictionary<string, Tensor> Expected) Load(string name)
    {
        var folder = TestPaths.LlamaFixture(name);
        return (LlamaModel.FromPretrained(folder), SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors")).ReadAll());
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void EagerForwardMatchesLogitsHiddenStatesAndAttentionWeights(string name)
    {
        var (model, x) = Load(name);
        using var _ = no_grad();
        using var capture = new AttentionCapture { RecordWeights = true, RecordHiddenStates = true };
        var logits = model.Forward(x["input_ids"], capture: capture);
        TensorAssert.CloseToScale(x["hidden.embeddings"], capture.HiddenStates["embeddings"], Tol, "embeddings");
        for (int i = 0; i < model.Config.NumHiddenLayers; i++)
        {
            TensorAssert.CloseToScale(x[$"hidden.layer.{i}"], capture.HiddenStates[$"layer.{i}"], Tol, $"layer {i} output");
            TensorAssert.CloseToScale(x[$"attn_weights.{i}"], capture.Weights[i], Tol, $"layer {i} attention weights");
        }
        TensorAssert.CloseToScale(x["hidden.final_norm"], capture.HiddenStates["final_norm"], Tol, "final norm");
        TensorAssert.CloseToScale(x["logits"], logits, Tol, "logits");
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void FastPathMatchesLogits(string name)
    {
        var (model, x) = Load(name);
        using var _ = no_grad();
        TensorAssert.CloseToScale(x["logits"], model.Forward(x["input_ids"]), Tol, "logits (SDPA path)");
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void LeftPaddedBatchMatchesAtRealTokens(string name)
    {
        var (model, x) = Load(name);
        using var _ = no_grad();
        var mask = x["padded.attention_mask"];
        var logits = model.Forward(x["padded.input_ids"], mask);
        var real = mask.to(ScalarType.Bool);
        TensorAssert.CloseToScale(x["padded.logits"][real], logits[real], Tol, "padded logits");
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void GreedyGenerationMatches(string name)
    {
        var (model, x) = Load(name);
        foreach (var tag in new[] { "gen", "padded.gen" })
        {
            var input = tag == "gen" ? x["input_ids"] : x["padded.input_ids"];
            var mask = tag == "gen" ? null : x["padded.attention_mask"];
            var expected = x[$"{tag}.sequences"][.., (int)input.shape[1]..];
            var ours = model.Generate(input, mask, (int)expected.shape[1]);
            var margins = x[$"{tag}.margins"];
            for (int r = 0; r < expected.shape[0]; r++)
                for (int s = 0; s < expected.shape[1]; s++)
                {
                    Assert.Equal(expected[r, s].item<long>(), ours[r, s].item<long>());
                    // After a step whose top-2 logits tie within float noise, later tokens may legitimately differ.
                    if (margins[r, s].item<float>() < 1e-3f) break;
                }
        }
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void PrefillThenDecodeEqualsFullForward(string name)
    {
        var (model, x) = Load(name);
        using var _ = no_grad();
        var ids = x["padded.input_ids"];
        var mask = x["padded.attention_mask"];
        var full = model.Forward(ids, mask);
        using var cache = model.NewCache();
        var parts = new List<Tensor> { model.Forward(ids[.., ..7], mask[.., ..7], cache) };
        for (int t = 7; t < ids.shape[1]; t++)
            parts.Add(model.Forward(ids[.., t..(t + 1)], mask[.., t..(t + 1)], cache));
        var stepwise = cat(parts, 1);
        var real = mask.to(ScalarType.Bool);
        TensorAssert.CloseToScale(full[real], stepwise[real], Tol, "prefill + decode vs full forward");
    }

    [Fact]
    public void Bf16LoadStaysCloseToFp32Reference()
    {
        var folder = TestPaths.LlamaFixture("gqa5-headdim-linear-bf16");
        var model = LlamaModel.FromPretrained(folder, ScalarType.BFloat16);
        var x = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors")).ReadAll();
        using var _ = no_grad();
        var logits = model.Forward(x["input_ids"]).to(ScalarType.Float32);
        Assert.Equal(ScalarType.BFloat16, model.DType);
        // bf16 activations carry ~3 significant digits; the check is that the bf16 path is the same model.
        TensorAssert.RmseBelow(x["logits"], logits, 3e-2, "bf16 logits");
    }

    [Fact]
    public void ParameterNamesAreHuggingFaces()
    {
        var model = new LlamaModel(LlamaConfig.FromFile(TestPaths.LlamaFixture("gqa4-untied-llama3")));
        var names = model.state_dict().Keys.ToHashSet();
        var file = SafetensorsWeights.Open(TestPaths.LlamaFixture("gqa4-untied-llama3")).Entries.Keys.ToHashSet();
        Assert.Equal(file.OrderBy(k => k), names.OrderBy(k => k));
        Assert.Contains("model.layers.0.self_attn.q_proj.weight", names);
    }

    [Fact]
    public void ParameterCountFormulaMatchesModules()
    {
        foreach (var f in TestPaths.LlamaFixtures)
        {
            var config = LlamaConfig.FromFile(TestPaths.LlamaFixture(f));
            var model = new LlamaModel(config);
            Assert.Equal(model.parameters().Sum(p => p.numel()), config.ParameterCount());
        }
        Assert.Equal(1_235_814_400L, LlamaConfig.Llama32_1B.ParameterCount());
    }
}
