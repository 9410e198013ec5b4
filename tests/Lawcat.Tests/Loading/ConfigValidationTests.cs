using System.Text.Json.Nodes;
using Lawcat.IO;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests.Loading;

/// <summary>Configs that describe no working model, and weights that are not finite, are caught when a folder loads.</summary>
public class ConfigValidationTests
{
    static string CopyFixture(string name)
    {
        var dir = TestPaths.NewTempDir();
        foreach (var f in Directory.GetFiles(TestPaths.LlamaFixture(name)))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    /// <summary>Edits a fixture's config.json and returns the one-line error loading it gives.</summary>
    static string Refused(string fixture, Action<JsonObject> edit)
    {
        var dir = CopyFixture(fixture);
        var path = Path.Combine(dir, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(o);
        File.WriteAllText(path, o.ToJsonString());
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.StartsWith(path + ": ", e.Message);
        return e.Message[(path.Length + 2)..];
    }

    static JsonObject Rope(JsonObject o) => o["rope_parameters"]!.AsObject();

    [Fact]
    public void ImpossibleNormAndRotarySettingsAreRefused()
    {
        Assert.Equal("rms_norm_eps is NaN; expected a finite number >= 0.", Refused("gqa1-tied", o => o["rms_norm_eps"] = "NaN"));
        Assert.Equal("rms_norm_eps is -1E-05; expected a finite number >= 0.", Refused("gqa1-tied", o => o["rms_norm_eps"] = -1e-5));
        Assert.Equal("rope_parameters.rope_theta is 0; expected a finite number > 0.", Refused("gqa1-tied", o => Rope(o)["rope_theta"] = 0));
        Assert.Equal("rope_theta is -10000; expected a finite number > 0.", Refused("gqa1-tied", o => { o.Remove("rope_parameters"); o["rope_theta"] = -10000; }));
        Assert.Equal("rope_parameters.factor is 0; expected a finite number > 0.", Refused("gqa5-headdim-linear-bf16", o => Rope(o)["factor"] = 0));
        Assert.Equal("rope_parameters.factor is -8; expected a finite number > 0.", Refused("gqa4-untied-llama3", o => Rope(o)["factor"] = -8));
        Assert.Equal("rope_parameters.high_freq_factor 1 must be greater than low_freq_factor 1.",
            Refused("gqa4-untied-llama3", o => Rope(o)["high_freq_factor"] = 1.0));
    }

    [Fact]
    public void ImpossibleSizesAreRefused()
    {
        Assert.Equal("max_position_embeddings is 0; expected a positive integer.", Refused("gqa1-tied", o => o["max_position_embeddings"] = 0));
        Assert.Equal("intermediate_size is -150; expected a positive integer.", Refused("gqa1-tied", o => o["intermediate_size"] = -150));
        Assert.Equal("vocab_size is -1; expected a positive integer.", Refused("gqa1-tied", o => o["vocab_size"] = -1));
        Assert.Equal("num_hidden_layers is -2; expected a positive integer.", Refused("gqa1-tied", o => o["num_hidden_layers"] = -2));
        Assert.Equal("hidden_size is -64; expected a positive integer.", Refused("gqa1-tied", o => o["hidden_size"] = -64));
        Assert.Equal("hidden_size 64 is not divisible by num_attention_heads 3 and there is no head_dim; expected hidden_size = num_attention_heads × head_dim, or an explicit head_dim.",
            Refused("gqa1-tied", o => { o.Remove("head_dim"); o["num_attention_heads"] = 3; o["num_key_value_heads"] = 3; }));
    }

    [Fact]
    public void DuplicateKeysAreRefused()
    {
        var dir = CopyFixture("gqa1-tied");
        var path = Path.Combine(dir, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).TrimStart().Insert(1, "\"hidden_size\": 128,"));
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Equal($"{path}: the key 'hidden_size' appears twice; each setting must be given once.", e.Message);
    }

    [Fact]
    public void NonFiniteWeightsLoadWithAWarningNamingThem()
    {
        var dir = CopyFixture("gqa1-tied");
        var file = Path.Combine(dir, "model.safetensors");
        var tensors = SafetensorsFile.Open(file).ReadAll();
        tensors["model.norm.weight"][3] = float.NaN;
        tensors["model.layers.1.mlp.up_proj.weight"][0, 0] = float.NegativeInfinity;
        SafetensorsFile.Write(file, tensors);
        var error = new StringWriter();
        var old = Console.Error;
        Console.SetError(error);
        try { LlamaModel.FromPretrained(dir); }
        finally { Console.SetError(old); }
        Assert.Equal($"warning: {dir}: 2 tensor(s) hold NaN or infinite values, so the model's outputs will not be finite: model.layers.1.mlp.up_proj.weight, model.norm.weight.",
            error.ToString().Trim());
        error = new StringWriter();
        Console.SetError(error);
        try { LlamaModel.FromPretrained(TestPaths.LlamaFixture("gqa1-tied")); }
        finally { Console.SetError(old); }
        Assert.Equal("", error.ToString());
    }
}
