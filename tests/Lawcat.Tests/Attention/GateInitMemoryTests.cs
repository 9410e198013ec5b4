using Lawcat.Attention;
using Lawcat.Conversion;
using static TorchSharp.torch;

namespace Lawcat.Tests.Attention;

/// <summary><c>lawcat.gate_init_memory</c>: the gate starts with a spectrum of memories instead of ~23 tokens everywhere.</summary>
[Trait("Category", "Kernels")]
public class GateInitMemoryTests
{
    static DecayGate Gate(Lawcat.Llama.LlamaModel model) =>
        LawcatConversion.LawcatLayers(model).First().named_modules().Select(m => m.module).OfType<DecayGate>().Single();

    [Theory]
    [InlineData(GateKind.LowRankPerDim)]
    [InlineData(GateKind.FullRankPerDim)]
    [InlineData(GateKind.ScalarPerHead)]
    public void AZeroInputDecaysWithLogSpacedMemories(GateKind kind)
    {
        using var _ = no_grad();
        manual_seed(1);
        var model = TinyModels.Teacher(2);
        LawcatConversion.Convert(model, new LawcatOptions { Gate = kind, GateInitMemory = new[] { 16.0, 1024.0 } });
        var g = Gate(model).forward(zeros(1, 3, TinyModels.Config.HiddenSize))!;          // [1, Hkv, 3, K or 1]
        long kvHeads = TinyModels.Config.NumKeyValueHeads, width = kind == GateKind.ScalarPerHead ? 1 : TinyModels.Config.HeadDim;
        Assert.Equal(new[] { 1, kvHeads, 3, width }, g.shape);
        long spread = width == 1 ? kvHeads : width;
        for (long h = 0; h < kvHeads; h++)
            for (long j = 0; j < width; j++)
            {
                double memory = 16 * Math.Pow(64, (double)(width == 1 ? h : j) / (spread - 1));
                Assert.Equal(-1 / memory, g[0, h, 2, j].item<float>(), 1e-3 / memory);
            }
    }

    [Fact]
    public void OnlyTheGateBiasesDifferFromTheRecipesInitialization()
    {
        Dictionary<string, Tensor> Parameters(LawcatOptions options)
        {
            var model = TinyModels.Teacher(2);
            manual_seed(3);
            LawcatConversion.Convert(model, options);
            return LawcatConversion.NewParameters(model).ToDictionary(p => p.Name, p => p.Parameter.detach().clone());
        }
        var recipe = Parameters(new LawcatOptions());
        var spectrum = Parameters(new LawcatOptions { GateInitMemory = new[] { 16.0, 1024.0 } });
        foreach (var (name, t) in recipe)
            Assert.Equal(!name.EndsWith("gk_proj.1.bias"), t.eq(spectrum[name]).all().item<bool>());
    }

    [Fact]
    public void BadSpectraAreRefusedNamingTheOption()
    {
        foreach (var bad in new[] { new LawcatOptions { GateInitMemory = new[] { 16.0 } }, new LawcatOptions { GateInitMemory = new[] { 64.0, 16.0 } },
                     new LawcatOptions { GateInitMemory = new[] { 0.5, 16.0 } }, new LawcatOptions { Gate = GateKind.None, GateInitMemory = new[] { 16.0, 64.0 } } })
            Assert.Contains("GateInitMemory", Assert.Throws<LawcatException>(() => bad.Validate()).Message);
    }
}
