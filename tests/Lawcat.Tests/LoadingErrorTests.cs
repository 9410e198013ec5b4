using System.Text.Json.Nodes;
using Lawcat.IO;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests;

/// <summary>Bad model folders are answered with one clear error naming the file, key or tensor.</summary>
[Trait("Category", "Fidelity")]
public class LoadingErrorTests
{
    static string CopyFixture(string name = "gqa1-tied")
    {
        var dir = TestPaths.NewTempDir();
        foreach (var f in Directory.GetFiles(TestPaths.LlamaFixture(name)))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    static void EditConfig(string dir, Action<JsonObject> edit)
    {
        var path = Path.Combine(dir, "config.json");
        var o = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(o);
        File.WriteAllText(path, o.ToJsonString());
    }

    [Fact]
    public void MissingConfigJson()
    {
        var dir = CopyFixture();
        File.Delete(Path.Combine(dir, "config.json"));
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Contains("config.json", e.Message);
    }

    [Fact]
    public void UnknownRopeTypeNamesTheField()
    {
        var dir = CopyFixture();
        EditConfig(dir, o => o["rope_parameters"] = new JsonObject { ["rope_type"] = "yarn", ["rope_theta"] = 10000.0, ["factor"] = 4.0 });
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Contains("rope_type", e.Message);
        Assert.Contains("yarn", e.Message);
    }

    [Fact]
    public void ClassicConfigKeysAreRead()
    {
        var dir = CopyFixture("gqa4-untied-llama3");
        EditConfig(dir, o =>
        {
            var p = o["rope_parameters"]!.AsObject();
            o.Remove("rope_parameters");
            o["rope_theta"] = p["rope_theta"]!.GetValue<double>();
            p.Remove("rope_theta");
            o["rope_scaling"] = JsonNode.Parse(p.ToJsonString());
            o["torch_dtype"] = "float32";
        });
        var c = LlamaConfig.FromFile(dir);
        Assert.Equal("llama3", c.RopeScaling.RopeType);
        Assert.Equal(500000.0, c.RopeTheta);
        Assert.Equal(16, c.RopeScaling.OriginalMaxPositionEmbeddings);
        Assert.Equal(LlamaConfig.FromFile(TestPaths.LlamaFixture("gqa4-untied-llama3")) with { TorchDtype = "float32" }, c);
    }

    [Fact]
    public void WrongTypeOfAKeyIsNamed()
    {
        var dir = CopyFixture();
        EditConfig(dir, o => o["hidden_size"] = "wide");
        var e = Assert.Throws<LawcatException>(() => LlamaConfig.FromFile(dir));
        Assert.Contains("hidden_size", e.Message);
    }

    [Fact]
    public void MissingExtraAndMisshapedTensorsAreReportedTogether()
    {
        var dir = CopyFixture();
        var file = Path.Combine(dir, "model.safetensors");
        var tensors = SafetensorsFile.Open(file).ReadAll();
        tensors.Remove("model.layers.1.mlp.up_proj.weight");
        tensors["model.extra.weight"] = zeros(3);
        tensors["model.norm.weight"] = ones(65);
        SafetensorsFile.Write(file, tensors);
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Contains("missing (1)", e.Message);
        Assert.Contains("model.layers.1.mlp.up_proj.weight [150, 64]", e.Message);
        Assert.Contains("unexpected (1)", e.Message);
        Assert.Contains("model.extra.weight [3]", e.Message);
        Assert.Contains("model.norm.weight: expected [64], found [65]", e.Message);
    }

    [Fact]
    public void TruncatedSafetensorsNamesTheFile()
    {
        var dir = CopyFixture();
        var file = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(file);
        File.WriteAllBytes(file, bytes[..(bytes.Length - 1000)]);
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Contains("model.safetensors", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void CorruptHeaderNamesTheFile()
    {
        var dir = CopyFixture();
        var file = Path.Combine(dir, "model.safetensors");
        var bytes = File.ReadAllBytes(file);
        bytes[10] = (byte)'}';
        File.WriteAllBytes(file, bytes);
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Contains("model.safetensors", e.Message);
    }

    [Fact]
    public void MissingShardNamesTheIndex()
    {
        var dir = CopyFixture("gqa4-untied-llama3");
        File.Delete(Path.Combine(dir, "model-00003-of-00005.safetensors"));
        var e = Assert.Throws<LawcatException>(() => LlamaModel.FromPretrained(dir));
        Assert.Contains("model-00003-of-00005.safetensors", e.Message);
        Assert.Contains("model.safetensors.index.json", e.Message);
    }

    [Fact]
    public void SaveThenLoadRoundTrips()
    {
        var model = TinyModels.Teacher(4);
        var dir = TestPaths.NewTempDir();
        model.SavePretrained(dir);
        var again = LlamaModel.FromPretrained(dir);
        var ids = TinyModels.Ids(1, 6);
        using var _ = no_grad();
        Assert.Equal(0.0, TensorAssert.MaxAbsDiff(model.Forward(ids), again.Forward(ids)));
        Assert.Equal(model.Config, again.Config);
    }
}
