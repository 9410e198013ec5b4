using Lawcat.Conversion;
using Lawcat.Distillation;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Tests.Distillation;

[Trait("Category", "Distill")]
public class TrainingPartsTests
{
    [Fact]
    public void LoraMergeEqualsUnmergedOutputs()
    {
        using var _ = no_grad();
        var model = TinyModels.Student();
        Lora.Apply(model, new LoraOptions { Rank = 4, Alpha = 8 });
        manual_seed(2);
        foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("lora_B"))) p.copy_(randn_like(p) * 0.1);
        var ids = TinyModels.Ids(2, 12);
        var unmerged = model.Forward(ids);
        Lora.SetEnabled(model, false);
        Assert.True(TensorAssert.MaxAbsDiff(unmerged, model.Forward(ids)) > 1e-3, "the adapters change the output");
        Lora.SetEnabled(model, true);
        Lora.Merge(model);
        Assert.Empty(Lora.Adapters(model));
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("lora"));
        TensorAssert.CloseToScale(unmerged, model.Forward(ids), 1e-5, "merged vs unmerged");
    }

    [Fact]
    public void AdamWMatchesTheTextbookUpdate()
    {
        var p = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0f, -2.0f }));
        var opt = new AdamW(new[] { ("p", p) }, lr: 0.1, weightDecay: 0.01);
        double m0 = 0, m1 = 0, v0 = 0, v1 = 0, x0 = 1, x1 = -2;
        for (int t = 1; t <= 3; t++)
        {
            p.grad?.zero_();
            (p * p).sum().backward();
            opt.Update();
            double g0 = 2 * x0, g1 = 2 * x1;
            m0 = 0.9 * m0 + 0.1 * g0; m1 = 0.9 * m1 + 0.1 * g1;
            v0 = 0.999 * v0 + 0.001 * g0 * g0; v1 = 0.999 * v1 + 0.001 * g1 * g1;
            double bc1 = 1 - Math.Pow(0.9, t), bc2 = 1 - Math.Pow(0.999, t);
            x0 = x0 * (1 - 0.1 * 0.01) - 0.1 * (m0 / bc1) / (Math.Sqrt(v0 / bc2) + 1e-8);
            x1 = x1 * (1 - 0.1 * 0.01) - 0.1 * (m1 / bc1) / (Math.Sqrt(v1 / bc2) + 1e-8);
        }
        Assert.Equal(x0, p[0].item<float>(), 5);
        Assert.Equal(x1, p[1].item<float>(), 5);
    }

    [Fact]
    public void OptionsRoundTripThroughJsonAndYamlAndSets()
    {
        var json = OptionsIO.ToJson(DistillOptions.Paper);
        Assert.Equal(OptionsIO.ToJson(DistillOptions.FromJson(json, "test")).ToJsonString(), json.ToJsonString());
        var dir = TestPaths.NewTempDir();
        var yaml = Path.Combine(dir, "o.yaml");
        File.WriteAllText(yaml, "stage1:\n  learning_rate: 0.005\nlawcat:\n  conv_kernel_size: 2\n  gate: scalar_per_head\n");
        var merged = DistillOptions.FromJson(OptionsIO.Merge(json, OptionsIO.ReadFile(yaml)), yaml);
        Assert.Equal(0.005, merged.Stage1.LearningRate);
        Assert.Equal(2, merged.Lawcat.ConvKernelSize);
        Assert.Equal(Lawcat.Attention.GateKind.ScalarPerHead, merged.Lawcat.Gate);
        Assert.Equal(1000, merged.Stage1.MseWeight);
        var set = DistillOptions.FromJson(OptionsIO.ApplySets(json, new[] { "stage2.lora.rank=4", "data.files=[\"a.txt\"]", "device=cuda" }), "--set");
        Assert.Equal(4, set.Stage2.Lora.Rank);
        Assert.Equal(new[] { "a.txt" }, set.Data.Files);
        Assert.Equal("cuda", set.Device);
    }

    [Fact]
    public void BadOptionsNameTheKey()
    {
        var json = OptionsIO.ToJson(DistillOptions.Paper);
        Assert.Contains("stage1.learnin_rate", Assert.Throws<LawcatException>(() => OptionsIO.ApplySets(json, new[] { "stage1.learnin_rate=1" })).Message);
        Assert.Contains("stage1.learning_rate", Assert.Throws<LawcatException>(() => DistillOptions.FromJson(OptionsIO.ApplySets(json, new[] { "stage1.learning_rate=-1" }), "x")).Message);
        Assert.Contains("stage1", Assert.Throws<LawcatException>(() => DistillOptions.FromJson(OptionsIO.ApplySets(json, new[] { "stage1.steps=\"many\"" }), "x")).Message);
        var dir = TestPaths.NewTempDir();
        var file = Path.Combine(dir, "o.json");
        File.WriteAllText(file, "{\"stage1\": {\"lr\": 1}}");
        Assert.Contains("o.json", Assert.Throws<LawcatException>(() => DistillOptions.FromJson(OptionsIO.Merge(json, OptionsIO.ReadFile(file)), file)).Message);
        Assert.Equal(new[] { "stage1.steps: 300 → 5" }, OptionsIO.Differences(json, OptionsIO.ApplySets(json, new[] { "stage1.steps=5" })));
    }

    [Fact]
    public void CheckpointRoundTripsAndRejectsForeignFiles()
    {
        var dir = TestPaths.NewTempDir();
        var path = Path.Combine(dir, "c.safetensors");
        var state = new CheckpointState { Stage = 1, Step = 7, Data = new Lawcat.Data.DataPosition(1, 3), Trainable = new[] { "w" }, Options = OptionsIO.ToJson(DistillOptions.Tiny) };
        Checkpoint.Save(path, state, new Dictionary<string, Tensor> { ["w"] = arange(4).to(ScalarType.Float32) });
        var (loaded, tensors) = Checkpoint.Load(path);
        Assert.Equal(7, loaded.Step);
        Assert.Equal(new Lawcat.Data.DataPosition(1, 3), loaded.Data);
        Assert.Equal(new[] { 0f, 1, 2, 3 }, tensors["w"].data<float>().ToArray());
        Assert.True(File.Exists(Path.Combine(dir, "c.json")));
        Assert.Contains("not a LAWCAT checkpoint", Assert.Throws<LawcatException>(() => Checkpoint.Load(Path.Combine(TestPaths.LlamaFixture("gqa1-tied"), "model.safetensors"))).Message);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 5)]);
        Assert.Contains("c.safetensors", Assert.Throws<LawcatException>(() => Checkpoint.Load(path)).Message);
    }

    [Fact]
    public void OutOfMemoryMessageNamesTheSizesAndSmallerSettings()
    {
        const string device = "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of 79.1 GiB\nstack...";
        var big = new TrainingSizes("stage 1: attention transfer", "stage1", 8, 1, 1024, "data.sequence_length", "cuda:0", "float32", "dtype");
        var m = OutOfDeviceMemoryException.Describe(big, device);
        foreach (var part in new[] { "stage 1: attention transfer", "cuda:0 (float32)", "stage1.batch_size=8", "data.sequence_length=1024",
            "stage1.gradient_accumulation=1", "Tried to allocate 2.00 GiB", "--set stage1.batch_size=4 --set stage1.gradient_accumulation=2",
            "--set data.sequence_length=512", "--set dtype=bfloat16" })
            Assert.Contains(part, m);
        Assert.DoesNotContain("stack...", m);

        var small = OutOfDeviceMemoryException.Describe(big with { BatchSize = 1, SequenceLength = 16, Dtype = "bfloat16" }, device);
        Assert.DoesNotContain("--set", small);
        Assert.Contains("smallest settings", small);
        Assert.DoesNotContain("bfloat16 weights", OutOfDeviceMemoryException.Describe(big with { DtypeKey = null }, device));
        Assert.True(OutOfDeviceMemoryException.IsOutOfMemory(new System.Runtime.InteropServices.ExternalException(device)));
        Assert.False(OutOfDeviceMemoryException.IsOutOfMemory(new System.Runtime.InteropServices.ExternalException("shape mismatch")));
    }

    [Fact]
    public void StudentExportReloadsThroughFromPretrained()
    {
        using var _ = no_grad();
        var model = TinyModels.Student(new Lawcat.Attention.LawcatOptions { WindowSize = 3 }, keepSoftmax: new[] { 1 });
        Lora.Apply(model, new LoraOptions());
        foreach (var (_, p) in model.named_parameters().Where(p => p.name.Contains("lora_B"))) p.add_(0.05);
        var ids = TinyModels.Ids(1, 10);
        var before = model.Forward(ids);
        var dir = TestPaths.NewTempDir();
        StudentModel.Export(model, dir, null);
        var again = StudentFolder.Load(dir);
        Assert.Single(LawcatConversion.LawcatLayers(again));
        Assert.Equal(3, LawcatConversion.LawcatLayers(again).Single().Options.WindowSize);
        TensorAssert.CloseToScale(before, again.Forward(ids), 1e-5, "exported student");
    }
}
