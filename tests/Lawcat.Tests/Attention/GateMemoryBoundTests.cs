using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Kernels;
using Lawcat.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Tests.Attention;

/// <summary><c>lawcat.max_gate_memory</c>: every gate dimension forgets at least as fast as the bound says, in every form of the layer.</summary>
[Trait("Category", "Kernels")]
public class GateMemoryBoundTests
{
    /// <summary>A student whose gates start near no decay at all (bias +8: log-decay ≈ −2e-5, a memory of ~50,000 tokens).</summary>
    static LlamaModel LongMemoryStudent(LawcatOptions options)
    {
        var model = TinyModels.Student(options);
        using var _ = no_grad();
        using var eight = 8.0.ToScalar();
        foreach (var (name, p) in LawcatConversion.NewParameters(model).Where(p => p.Name.EndsWith("gk_proj.1.bias"))) p.fill_(eight);
        return model;
    }

    static Tensor Gates(LlamaModel model, Tensor x) =>
        cat(LawcatConversion.LawcatLayers(model).Select(l => l.named_modules().Select(m => m.module).OfType<DecayGate>().Single().forward(x) is Tensor g ? g.flatten() : zeros(0)).ToArray());

    [Theory]
    [InlineData(GateKind.LowRankPerDim)]
    [InlineData(GateKind.FullRankPerDim)]
    [InlineData(GateKind.ScalarPerHead)]
    [InlineData(GateKind.None)]
    public void LogDecaysStayAtOrBelowMinusOneOverTheBound(GateKind gate)
    {
        using var _ = no_grad();
        var x = randn(2, 30, TinyModels.Config.HiddenSize, generator: new Generator(4));
        var free = Gates(LongMemoryStudent(new LawcatOptions { Gate = gate, MaxGateMemory = 0 }), x);
        var bounded = Gates(LongMemoryStudent(new LawcatOptions { Gate = gate, MaxGateMemory = 32 }), x);
        Assert.True(bounded.max().item<float>() <= -1f / 32, $"largest log-decay {bounded.max().item<float>()}");
        if (gate == GateKind.None)
        {
            Assert.Equal(0, free.numel());   // no gate: no log-decays, no decay
            Assert.True(bounded.eq(-1f / 32).all().item<bool>(), "no gate plus a bound is a constant decay of that memory");
            return;
        }
        Assert.True(free.max().item<float>() > -1f / 32, "the test's gates must want longer memories than the bound");
        // Decays shorter than the bound are left as they are.
        var shorter = free.lt(-1f / 32);
        Assert.True(bounded.masked_select(shorter).eq(free.masked_select(shorter)).all().item<bool>());
    }

    [Fact]
    public void ABoundedStudentForgetsTokensFarBeyondTheBound()
    {
        using var _ = no_grad();
        // Two inputs that differ only in their first 4 tokens; 160 tokens later only memory can tell them apart.
        var a = TinyModels.Ids(1, 164, 5);
        var b = cat(new[] { TinyModels.Ids(1, 4, 6), a[.., 4..] }, 1);
        double Influence(LlamaModel m)
        {
            var (la, lb) = (m.Forward(a)[0, ^1], m.Forward(b)[0, ^1]);
            return (la - lb).abs().max().item<float>() / la.abs().max().item<float>();
        }
        double free = Influence(LongMemoryStudent(new LawcatOptions()));
        double bounded = Influence(LongMemoryStudent(new LawcatOptions { MaxGateMemory = 4 }));
        Assert.True(free > 1e-3, $"without the bound the first tokens still matter 160 tokens later (relative change {free:E2})");
        Assert.True(bounded < 1e-6, $"with memory ≤ 4 tokens they are forgotten (e^-40 at most; relative change {bounded:E2})");
    }

    [Fact]
    public void EveryFormOfTheLayerSeesTheSameBoundedDecays()
    {
        using var _ = no_grad();
        var ids = TinyModels.Ids(2, 70);
        Tensor Logits(GlaForm form) => LongMemoryStudent(new LawcatOptions { MaxGateMemory = 16, Form = form, ChunkSize = 16 }).Forward(ids);
        var recurrent = Logits(GlaForm.Recurrent);
        TensorAssert.CloseToScale(recurrent, Logits(GlaForm.Chunked), 1e-4, "chunked vs recurrent");
        TensorAssert.CloseToScale(recurrent, Logits(GlaForm.Parallel), 1e-4, "parallel vs recurrent");
        var unbounded = LongMemoryStudent(new LawcatOptions { Form = GlaForm.Recurrent }).Forward(ids);
        Assert.True(TensorAssert.MaxAbsDiff(recurrent, unbounded) > 1e-3, "the bound changes the outputs");
    }

    [Fact]
    public void AnExportedStudentKeepsItsBound()
    {
        var model = LongMemoryStudent(new LawcatOptions { MaxGateMemory = 16 });
        var dir = TestPaths.NewTempDir();
        StudentFolder.Save(model, dir);
        using var again = StudentFolder.Load(dir);
        Assert.All(LawcatConversion.LawcatLayers(again), l => Assert.Equal(16, l.Options.MaxGateMemory));
        using var _ = no_grad();
        var ids = TinyModels.Ids(1, 40);
        Assert.Equal(0, TensorAssert.MaxAbsDiff(model.Forward(ids), again.Forward(ids)));
    }

    [Fact]
    public void KernelsThatComputeTheGateThemselvesAreNotOfferedABoundedGate()
    {
        // The fused kernels compute logsigmoid(W_up W_down x + b) / normalizer from these weights and know no clamp.
        static DecayGate Gate(LlamaModel m) => LawcatConversion.LawcatLayers(m).First().named_modules().Select(x => x.module).OfType<DecayGate>().Single();
        Assert.NotNull(Gate(LongMemoryStudent(new LawcatOptions { MaxGateMemory = 0 })).LowRankWeights());
        Assert.Null(Gate(LongMemoryStudent(new LawcatOptions { MaxGateMemory = 16 })).LowRankWeights());
    }
}
