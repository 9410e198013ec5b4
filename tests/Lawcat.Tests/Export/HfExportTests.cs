using System.Text.Json.Nodes;
using Lawcat.Conversion;
using Lawcat.Export;
using Lawcat.IO;
using Lawcat.Llama;
using Lawcat.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Lawcat.Tests.Export;

/// <summary>
/// The Hugging Face export against PyTorch. tests/fixtures/hf-export holds random-weight students whose outputs the
/// exported PyTorch modeling code computed (scripts/fixtures/make_hf_export_fixtures.py, five option sets that together
/// take every feature map, gate, normalization and form, the window, RoPE on the linear path, conv on v and softmax
/// layers kept); the workbench loads the same folders and must give the same logits, within 1e-4 × the logits scale
/// (fp32), and the same greedy tokens.
/// </summary>
[Trait("Category", "Fidelity")]
public class HfExportTests(ITestOutputHelper output)
{
    const double Tol = 1e-4;

    public static IEnumerable<object[]> Fixtures =>
        Directory.GetDirectories(FixtureRoot).Order(StringComparer.Ordinal).Select(d => new object[] { Path.GetFileName(d) });

    static string FixtureRoot => Path.Combine(TestPaths.Fixtures, "hf-export");

    [Theory, MemberData(nameof(Fixtures))]
    public void LogitsAndGreedyTokensEqualPyTorchs(string name)
    {
        using var _ = no_grad();
        var folder = Path.Combine(FixtureRoot, name);
        var x = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors")).ReadAll();
        var model = StudentFolder.Load(folder);
        var mask = x["attention_mask"];
        var ours = model.Forward(x["input_ids"], mask);
        CloseAtRealTokens(x["logits"], ours, mask, $"{name}: logits vs PyTorch's forward");
        CloseAtRealTokens(x["decode_logits"], ours, mask, $"{name}: logits vs PyTorch's prefill and decoding steps");

        var theirs = x["generated"];
        var greedy = model.Generate(x["input_ids"], mask, (int)theirs.shape[1]);
        var margins = x["generated_margins"];
        for (int row = 0; row < theirs.shape[0]; row++)
            for (int i = 0; i < theirs.shape[1]; i++)
            {
                Assert.True(theirs[row, i].item<long>() == greedy[row, i].item<long>(), $"{name}: greedy token {i} of row {row}");
                if (margins[row, i].item<float>() < 1e-3f) break;   // past a near-tie either choice is right
            }
    }

    [Theory, MemberData(nameof(Fixtures))]
    public void ExportWritesTheFolderPyTorchWasCheckedOn(string name)
    {
        // The fixtures were written by the PyTorch side; the workbench reads one and exports it again, and must write the
        // same config, the same tensors under the same names, and the modeling files of this repository.
        var folder = Path.Combine(FixtureRoot, name);
        var dir = TestPaths.NewTempDir();
        HfExport.Write(StudentFolder.Load(folder), dir, null);

        var fixture = ReadJson(Path.Combine(folder, "config.json"));
        var written = ReadJson(Path.Combine(dir, "config.json"));
        foreach (var (key, value) in fixture)
            Assert.True(SameJson(value, written[key]), $"{name}: config.json '{key}' is {written[key]?.ToJsonString()}, PyTorch's fixture has {value?.ToJsonString()}");

        var expected = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors")).ReadAll();
        var actual = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors")).ReadAll();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, t) in expected) Assert.True(t.shape.SequenceEqual(actual[key].shape) && t.eq(actual[key]).all().item<bool>(), $"{name}: tensor {key}");

        foreach (var file in HfExport.ModelingFiles)
            Assert.Equal(File.ReadAllText(Path.Combine(TestPaths.Root, "src", "Lawcat", "Export", "hf", file)), File.ReadAllText(Path.Combine(dir, file)));
    }

    [Fact]
    public void ExportMergesLoraAndReloadsWithTheSameOutputs()
    {
        using var _ = no_grad();
        var model = TinyModels.Student(new Lawcat.Attention.LawcatOptions { WindowSize = 3 }, keepSoftmax: new[] { 1 });
        Lora.Apply(model, new LoraOptions());
        using var shift = 0.05.ToScalar();
        foreach (var (_, p) in model.named_parameters().Where(p => p.name.Contains("lora_B"))) p.add_(shift);
        var ids = TinyModels.Ids(2, 12);
        var before = model.Forward(ids);
        var dir = TestPaths.NewTempDir();
        HfExport.Write(model, dir, TestPaths.LlamaFixture("gqa1-tied"));

        var names = SafetensorsFile.Open(Path.Combine(dir, "model.safetensors")).Entries.Keys.ToList();
        Assert.DoesNotContain(names, n => n.Contains("lora_"));
        Assert.Contains("model.layers.0.self_attn.q_conv1d.weight", names);
        var config = ReadJson(Path.Combine(dir, "config.json"));
        Assert.Equal(HfExport.ModelType, config["model_type"]!.GetValue<string>());
        Assert.Equal("LawcatForCausalLM", config["architectures"]![0]!.GetValue<string>());
        foreach (var (_, target) in config["auto_map"]!.AsObject())
            Assert.True(File.Exists(Path.Combine(dir, target!.GetValue<string>().Split('.')[0] + ".py")), $"auto_map target {target}");
        Assert.Equal(1, config["lawcat"]!["softmax_layers"]![0]!.GetValue<int>());
        Assert.Equal(3, config["lawcat"]!["options"]!["window_size"]!.GetValue<int>());
        Assert.True(File.Exists(Path.Combine(dir, "generation_config.json")), "the teacher folder's generation_config.json is copied");

        var again = StudentFolder.Load(dir);
        Assert.Single(LawcatConversion.LawcatLayers(again));
        TensorAssert.CloseToScale(before, again.Forward(ids), 1e-5, "exported student reloaded");
    }

    [Fact]
    public void PyTorchKnowsEveryOptionTheExportWrites()
    {
        // A LAWCAT option added to the workbench reaches every exported config.json; the PyTorch code refuses keys it
        // does not know, so each one must be in its DEFAULT_OPTIONS, with the same default.
        var python = HfExport.ModelingFile("lawcat_attention.py");
        var block = python[python.IndexOf("DEFAULT_OPTIONS = {", StringComparison.Ordinal)..];
        block = block[..block.IndexOf('}')];
        var defaults = System.Text.RegularExpressions.Regex.Matches(block, "\"(\\w+)\": ([^,\\n]+),")
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value.Trim());
        var written = HfExport.Config(TinyModels.Student())["lawcat"]!["options"]!.AsObject();
        Assert.Equal(written.Select(kv => kv.Key).Order(StringComparer.Ordinal), defaults.Keys.Order(StringComparer.Ordinal));
        foreach (var (key, value) in written)
        {
            var expected = defaults[key] switch
            {
                "True" => "true",
                "False" => "false",
                var q when q.StartsWith('"') || q.StartsWith('[') => q,
                var n => double.Parse(n, System.Globalization.CultureInfo.InvariantCulture).ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            };
            var actual = value!.GetValueKind() == System.Text.Json.JsonValueKind.Number
                ? value.GetValue<double>().ToString("R", System.Globalization.CultureInfo.InvariantCulture) : value.ToJsonString();
            Assert.True(expected == actual, $"option {key}: the workbench's default is {actual}, lawcat_attention.py's {defaults[key]}");
        }
    }

    [Fact]
    public void ExportRefusesAModelWithoutLawcatLayers()
    {
        var e = Assert.Throws<LawcatException>(() => HfExport.Write(TinyModels.Teacher(), TestPaths.NewTempDir(), null));
        Assert.Contains("no LAWCAT layers", e.Message);
    }

    [Fact]
    public void AnExportedConfigWithoutItsLawcatSectionIsRefused()
    {
        var dir = TestPaths.NewTempDir();
        var config = ReadJson(Path.Combine(FixtureRoot, "headline", "config.json"));
        config.Remove("lawcat");
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        var e = Assert.Throws<LawcatException>(() => StudentFolder.Config(dir));
        Assert.Contains("'lawcat' section", e.Message);
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void ReferenceOutputsAreTheModelsOwn()
    {
        using var _ = no_grad();
        var model = TinyModels.Student();
        var path = Path.Combine(TestPaths.NewTempDir(), "reference.safetensors");
        ReferenceOutputs.Write(model, path, 12);
        var r = SafetensorsFile.Open(path).ReadAll();
        Assert.Equal(new long[] { 2, 12 }, r["input_ids"].shape);
        Assert.All(r["attention_mask"][0].data<long>().ToArray(), v => Assert.Equal(1L, v));
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, r["attention_mask"][1].data<long>().ToArray());
        Assert.True(model.Forward(r["input_ids"], r["attention_mask"]).eq(r["logits"]).all().item<bool>(), "logits");
        Assert.True(model.Generate(r["input_ids"], r["attention_mask"], ReferenceOutputs.NewTokens).eq(r["generated"]).all().item<bool>(), "greedy tokens");
        Assert.Throws<LawcatException>(() => ReferenceOutputs.Write(model, path, 3));
    }

    /// <summary>Asserts the logits agree at real tokens (padding rows are not compared: neither side defines them).</summary>
    void CloseAtRealTokens(Tensor expected, Tensor actual, Tensor attentionMask, string what)
    {
        var real = attentionMask.to(ScalarType.Bool).unsqueeze(-1).expand_as(expected);
        var (e, a) = (expected.masked_select(real), actual.masked_select(real));
        output.WriteLine($"{what}: max abs diff {TensorAssert.MaxAbsDiff(e, a):E2}, scale {e.abs().max().item<float>():F3}");
        TensorAssert.CloseToScale(e, a, Tol, what);
    }

    static JsonObject ReadJson(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    /// <summary>JSON equality with numbers compared by value (1e-05 and 1E-05, 16 and 16.0 are the same).</summary>
    static bool SameJson(JsonNode? a, JsonNode? b) => (a, b) switch
    {
        (null, null) => true,
        (JsonObject x, JsonObject y) => x.Count == y.Count && x.All(kv => y.ContainsKey(kv.Key) && SameJson(kv.Value, y[kv.Key])),
        (JsonArray x, JsonArray y) => x.Count == y.Count && x.Zip(y).All(p => SameJson(p.First, p.Second)),
        (JsonValue x, JsonValue y) when x.GetValueKind() == System.Text.Json.JsonValueKind.Number && y.GetValueKind() == System.Text.Json.JsonValueKind.Number
            => x.GetValue<double>() == y.GetValue<double>(),
        _ => a?.ToJsonString() == b?.ToJsonString(),
    };
}
