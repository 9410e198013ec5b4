using System.Diagnostics;
using System.Text.Json.Nodes;
using Lawcat.IO;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests.Loading;

/// <summary>The shard index names files inside the model folder, by string, and nothing else is opened.</summary>
public class ShardIndexTests
{
    const string Fixture = "gqa4-untied-llama3";
    const string Shard1 = "model-00001-of-00005.safetensors";

    static string CopyFixture()
    {
        var dir = TestPaths.NewTempDir();
        foreach (var f in Directory.GetFiles(TestPaths.LlamaFixture(Fixture)))
            File.Copy(f, Path.Combine(dir, Path.GetFileName(f)));
        return dir;
    }

    static string Index(string dir) => Path.Combine(dir, "model.safetensors.index.json");

    static void EditWeightMap(string dir, Action<JsonObject> edit)
    {
        var o = JsonNode.Parse(File.ReadAllText(Index(dir)))!.AsObject();
        edit(o["weight_map"]!.AsObject());
        File.WriteAllText(Index(dir), o.ToJsonString());
    }

    static LawcatException RefusedShard(string shard)
    {
        var dir = CopyFixture();
        EditWeightMap(dir, m => m["model.embed_tokens.weight"] = shard);
        var e = Assert.Throws<LawcatException>(() => SafetensorsWeights.Open(dir));
        Assert.Equal($"{Index(dir)}: tensor 'model.embed_tokens.weight' is in shard '{shard}', which is not a file inside the model folder; shard names must be relative names of files in {dir}.", e.Message);
        return e;
    }

    [Fact]
    public void NamesLeavingTheFolderAreRefused()
    {
        RefusedShard("../../etc/passwd");
        RefusedShard("/dev/zero");
        RefusedShard("/etc/passwd");
        RefusedShard("sub/../../" + Shard1);
        RefusedShard(".");
        RefusedShard("");
    }

    [Fact]
    public void AValidShardOutsideTheFolderIsRefusedByAbsoluteAndRelativeName()
    {
        var elsewhere = TestPaths.NewTempDir();
        File.Copy(Path.Combine(TestPaths.LlamaFixture(Fixture), Shard1), Path.Combine(elsewhere, Shard1));
        RefusedShard(Path.Combine(elsewhere, Shard1));
        RefusedShard(Path.Combine("..", Path.GetFileName(elsewhere), Shard1));
    }

    [Fact]
    public void RefusedNamesAreNotOpened()
    {
        if (OperatingSystem.IsWindows()) return;
        // Opening a FIFO for reading blocks until a writer comes: a reader that opened it would never return.
        var fifo = Path.Combine(TestPaths.NewTempDir(), "pipe.safetensors");
        using (var mk = Process.Start("mkfifo", fifo)) mk.WaitForExit();
        var open = Task.Run(() => RefusedShard(fifo));
        Assert.True(open.Wait(TimeSpan.FromSeconds(20)), "the loader opened a shard outside the model folder");
    }

    [Fact]
    public void NamesWithAFolderPartInsideTheFolderLoad()
    {
        var dir = CopyFixture();
        Directory.CreateDirectory(Path.Combine(dir, "weights"));
        File.Move(Path.Combine(dir, Shard1), Path.Combine(dir, "weights", Shard1));
        EditWeightMap(dir, m =>
        {
            foreach (var key in m.Select(kv => kv.Key).ToList())
            {
                var shard = m[key]!.GetValue<string>();
                m[key] = shard == Shard1 ? "weights/" + Shard1 : "./" + shard;
            }
        });
        var loaded = LlamaModel.FromPretrained(dir);
        var reference = LlamaModel.FromPretrained(TestPaths.LlamaFixture(Fixture));
        var ids = TinyModels.Ids(1, 6);
        using var _ = no_grad();
        Assert.Equal(0.0, TensorAssert.MaxAbsDiff(reference.Forward(ids), loaded.Forward(ids)));
    }

    [Fact]
    public void NonStringValuesAreRefused()
    {
        var dir = CopyFixture();
        EditWeightMap(dir, m => m["lm_head.weight"] = 5);
        var e = Assert.Throws<LawcatException>(() => SafetensorsWeights.Open(dir));
        Assert.Equal($"{Index(dir)}: weight_map value for tensor 'lm_head.weight' is 5; expected a shard file name (a string).", e.Message);
    }

    [Fact]
    public void DuplicateKeysAreRefused()
    {
        var dir = CopyFixture();
        var text = File.ReadAllText(Index(dir));
        File.WriteAllText(Index(dir), text.Replace("\"weight_map\": {", $"\"weight_map\": {{\n    \"lm_head.weight\": \"{Shard1}\","));
        var e = Assert.Throws<LawcatException>(() => SafetensorsWeights.Open(dir));
        Assert.Equal($"{Index(dir)}: the key 'lm_head.weight' appears twice in weight_map.", e.Message);
    }
}
