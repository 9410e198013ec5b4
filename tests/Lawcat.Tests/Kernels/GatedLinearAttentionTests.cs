using Lawcat.Attention;
using Lawcat.Kernels;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// fla-style kernel tests: the naive fp32 recurrence is the specification; the parallel and chunked forms must
/// match its outputs, final states and the gradients of q, k, v, g and the initial state.
/// Tolerances (relative RMSE, rms(ref − x) / rms(ref)): fp32 ≤ 1e-5, bf16 inputs ≤ 5e-3.
/// </summary>
[Trait("Category", "Kernels")]
public class GatedLinearAttentionTests
{
    const double Fp32Tol = 1e-5, Bf16Tol = 5e-3;
    const int B = 2, H = 3, K = 20, V = 33;   // head sizes deliberately not multiples of the chunk or sub-chunk

    public static IEnumerable<object[]> Cases =>
        from t in new[] { 1, 7, 63, 64, 65, 500 }
        from normalizer in new[] { 0.1, 1.0, 10.0 }
        select new object[] { t, normalizer };

    /// <summary>Inputs as leaves with gradients; g = logsigmoid(randn) / normalizer as in LAWCAT's gate.</summary>
    static Tensor[] Inputs(int t, double normalizer, ScalarType dtype, long seed)
    {
        var gen = manual_seed(seed);
        var q = randn(B, H, t, K) * 0.5;
        var k = randn(B, H, t, K) * 0.5;
        var v = randn(B, H, t, V);
        var g = nn.functional.logsigmoid(randn(B, H, t, K)) / normalizer;
        var s0 = randn(B, H, K, V) * 0.1;
        return new[] { q, k, v, g, s0 }.Select(x => x.to(dtype).detach().requires_grad_(true)).ToArray();
    }

    delegate (Tensor O, Tensor S) Form(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor s0);

    /// <summary>Output, final state and the five gradients for upstream gradients seeded from <paramref name="seed"/>.</summary>
    static Tensor[] RunWithGrads(Form form, Tensor[] x, long seed)
    {
        var (o, s) = form(x[0], x[1], x[2], x[3], Math.Pow(K, -0.5), x[4]);
        manual_seed(seed);
        var doo = randn(o.shape);
        var ds = randn(s.shape);
        var loss = (o.to(ScalarType.Float32) * doo).sum() + (s * ds).sum();
        loss.backward();
        var r = new[] { o.detach(), s.detach() }.Concat(x.Select(t => t.grad!.detach().clone())).ToArray();
        foreach (var t in x) t.grad!.zero_();
        return r;
    }

    static readonly string[] Names = { "output", "final state", "dq", "dk", "dv", "dg", "dS0" };

    static void AssertAllClose(Tensor[] reference, Tensor[] actual, double tol, string form)
    {
        for (int i = 0; i < reference.Length; i++)
            TensorAssert.RmseBelow(reference[i], actual[i].to(ScalarType.Float32), tol, $"{form} {Names[i]}");
    }

    [Theory, MemberData(nameof(Cases))]
    public void ChunkedAndParallelMatchRecurrentInFp32(int t, double normalizer)
    {
        var x = Inputs(t, normalizer, ScalarType.Float32, 7);
        var reference = RunWithGrads((q, k, v, g, s, s0) => GatedLinearAttention.Recurrent(q, k, v, g, s, s0), x, 11);
        AssertAllClose(reference, RunWithGrads((q, k, v, g, s, s0) => GatedLinearAttention.Chunked(q, k, v, g, s, s0), x, 11), Fp32Tol, "chunked");
        AssertAllClose(reference, RunWithGrads((q, k, v, g, s, s0) => GatedLinearAttention.Chunked(q, k, v, g, s, s0, chunkSize: 16), x, 11), Fp32Tol, "chunked(16)");
        AssertAllClose(reference, RunWithGrads((q, k, v, g, s, s0) => GatedLinearAttention.Parallel(q, k, v, g, s, s0), x, 11), Fp32Tol, "parallel");
    }

    [Theory]
    [InlineData(65, 1.0)]
    [InlineData(500, 0.1)]
    [InlineData(500, 10.0)]
    public void ChunkedMatchesRecurrentWithBf16Inputs(int t, double normalizer)
    {
        var x = Inputs(t, normalizer, ScalarType.BFloat16, 3);
        var upcast = x.Select(a => a.detach().to(ScalarType.Float32).requires_grad_(true)).ToArray();
        var reference = RunWithGrads((q, k, v, g, s, s0) => GatedLinearAttention.Recurrent(q, k, v, g, s, s0), upcast, 5);
        var chunked = RunWithGrads((q, k, v, g, s, s0) => GatedLinearAttention.Chunked(q, k, v, g, s, s0), x, 5);
        Assert.Equal(ScalarType.BFloat16, chunked[0].dtype);
        AssertAllClose(reference, chunked, Bf16Tol, "chunked bf16");
    }

    [Fact]
    public void StepByStepEqualsChunkedAndCarriesTheState()
    {
        using var _ = no_grad();
        var x = Inputs(37, 1.0, ScalarType.Float32, 9);
        double scale = Math.Pow(K, -0.5);
        // Prefill 20 tokens in chunked form, then decode the rest one at a time from the carried state.
        AssertPrefillThenStepsEqualsFull(x.Take(4).ToArray(), 20,
            (a, s0) => GatedLinearAttention.Chunked(a[0], a[1], a[2], a[3], scale, s0 ?? x[4]),
            (a, s) => GatedLinearAttention.Step(a[0], a[1], a[2], a[3], scale, s));
    }

    /// <summary>
    /// The full form over all of <paramref name="inputs"/> (each [B, H, T, ·]) against the full form over the first
    /// <paramref name="prefill"/> tokens followed by one step per remaining token: outputs and final states.
    /// </summary>
    static void AssertPrefillThenStepsEqualsFull(Tensor[] inputs, int prefill,
        Func<Tensor[], Tensor?, (Tensor O, Tensor S)> full, Func<Tensor[], Tensor, (Tensor O, Tensor S)> step)
    {
        Tensor[] Slice(int from, int to) => inputs.Select(a => a[.., .., from..to]).ToArray();
        long t = inputs[0].shape[2];
        var (whole, wholeState) = full(inputs, null);
        var (pre, state) = full(Slice(0, prefill), null);
        var outs = new List<Tensor> { pre };
        for (int i = prefill; i < t; i++)
        {
            var (o, s) = step(Slice(i, i + 1), state);
            outs.Add(o);
            state = s;
        }
        TensorAssert.RmseBelow(whole, cat(outs, 2), Fp32Tol, "prefill + steps output");
        TensorAssert.RmseBelow(wholeState, state, Fp32Tol, "prefill + steps state");
    }

    [Fact]
    public void ExtremeDecaysStayFinite()
    {
        using var _ = no_grad();
        var x = Inputs(130, 0.01, ScalarType.Float32, 4);   // log-decays around −70 per token
        var (o, s) = GatedLinearAttention.Chunked(x[0], x[1], x[2], x[3], 1.0, x[4]);
        var (oRef, sRef) = GatedLinearAttention.Recurrent(x[0], x[1], x[2], x[3], 1.0, x[4]);
        TensorAssert.RmseBelow(oRef, o, Fp32Tol, "output");
        TensorAssert.RmseBelow(sRef, s, Fp32Tol, "state");
    }

    [Fact]
    public void ParallelWeightsReproduceTheOutput()
    {
        using var _ = no_grad();
        var x = Inputs(40, 1.0, ScalarType.Float32, 2);
        var w = GatedLinearAttention.ParallelWeights(x[0], x[1], x[3], 0.3);
        Assert.Equal(0.0, w.triu(1).abs().max().item<float>());
        var (o, _) = GatedLinearAttention.Recurrent(x[0], x[1], x[2], x[3], 0.3);
        TensorAssert.RmseBelow(o, matmul(w, x[2]), Fp32Tol, "weights @ v");
    }

    /// <summary>
    /// The normalized form against its definition, written out here: the recurrence over [v, 1] with the gate repeated
    /// for each query head of a group, then y = num / (den + eps). Gates per head and feature, and one scalar per head.
    /// </summary>
    [Theory]
    [InlineData(65, 64)]
    [InlineData(130, 1)]
    public void NormalizedMatchesTheRecurrenceOverValuesWithAOnesColumn(int t, int gateWidth)
    {
        manual_seed(21);
        long heads = 4, gateHeads = 2;
        var q = randn(B, heads, t, K).softmax(-1).requires_grad_(true);
        var k = randn(B, heads, t, K).softmax(-1).requires_grad_(true);
        var v = randn(B, heads, t, V).requires_grad_(true);
        var g = (nn.functional.logsigmoid(randn(B, gateHeads, t, Math.Min(gateWidth, K))) / 4).requires_grad_(true);
        var s0 = (rand(B, heads, K, V + 1) * 0.1).requires_grad_(true);
        double scale = Math.Pow(K, -0.5), eps = 1e-10;
        var leaves = new[] { q, k, v, g, s0 };
        Tensor[] Run(Func<(Tensor, Tensor)> form)
        {
            var (y, s) = form();
            manual_seed(5);
            ((y * randn(y.shape)).sum() + (s * randn(s.shape)).sum()).backward();
            var r = new[] { y.detach(), s.detach() }.Concat(leaves.Select(x => x.grad!.detach().clone())).ToArray();
            foreach (var x in leaves) x.grad!.zero_();
            return r;
        }
        var reference = Run(() =>
        {
            var gh = g.repeat_interleave(heads / gateHeads, 1).expand(B, heads, t, K);   // head h uses gate head h / 2
            var (o, s) = GatedLinearAttention.Recurrent(q, k, cat(new[] { v, ones(B, heads, t, 1) }, -1), gh, scale, s0);
            return (o[.., .., .., ..V] / (o[.., .., .., V..] + eps), s);
        });
        foreach (var form in new[] { GlaForm.Chunked, GlaForm.Parallel, GlaForm.Recurrent })
            AssertAllClose(reference, Run(() => GatedLinearAttention.Normalized(q, k, v, g, scale, eps, s0, form)), Fp32Tol, $"normalized {form}");
    }

    [Fact]
    public void NormalizedStepsContinueANormalizedPrefill()
    {
        using var _ = no_grad();
        manual_seed(8);
        var (q, k) = (randn(B, 4, 30, K).softmax(-1), randn(B, 4, 30, K).softmax(-1));
        var v = randn(B, 4, 30, V);
        var g = nn.functional.logsigmoid(randn(B, 2, 30, K)) / 4;
        double scale = Math.Pow(K, -0.5), eps = 1e-10;
        AssertPrefillThenStepsEqualsFull(new[] { q, k, v, g }, 12,
            (a, s0) => GatedLinearAttention.Normalized(a[0], a[1], a[2], a[3], scale, eps, s0),
            (a, s) => GatedLinearAttention.NormalizedStep(a[0], a[1], a[2], a[3], scale, eps, s));
    }

    [Fact]
    public void GatesThatDoNotDivideTheHeadsAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => GatedLinearAttention.ExpandGate(zeros(1, 3, 5, 1), zeros(1, 4, 5, K)));
        Assert.Contains("4 query heads cannot share 3 gate heads", e.Message);
    }
}
