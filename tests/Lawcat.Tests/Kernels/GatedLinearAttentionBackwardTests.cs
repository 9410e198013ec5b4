using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// The training path of the normalized op: the closed-form chunked backward (<see cref="GatedLinearAttentionBackward"/>) and
/// the autograd node around it (<see cref="NormalizedGlaFunction"/>, which <see cref="KernelBackend"/> runs when an input
/// needs a gradient), against autograd through the fp32 recurrence over [v, 1] with the gate repeated for each query head
/// of a group: outputs, final states and the gradients of q, k, v, g and the initial state. Tolerances (relative RMSE):
/// fp32 ≤ 1e-5; bf16 operands on the tensor-core kernels (emulated) ≤ 5e-3 against the recurrence on the same bf16 values.
/// </summary>
[Trait("Category", "Kernels")]
public class GatedLinearAttentionBackwardTests
{
    const double Fp32Tol = 1e-5, Bf16Tol = 5e-3, Eps = 1e-10;
    const int B = 2, Heads = 4, Shared = 2;
    static readonly string[] Names = { "output", "final state", "dq", "dk", "dv", "dg", "dS0" };

    sealed record Case(Tensor Q, Tensor K, Tensor V, Tensor G, Tensor? S0)
    {
        public Tensor[] Leaves => S0 is null ? new[] { Q, K, V, G } : new[] { Q, K, V, G, S0 };
    }

    /// <summary>Leaves with gradients: softmax features as the layer makes them, gates logsigmoid(randn) / normalizer.</summary>
    static Case Inputs(int t, int kd, int vd, int gateWidth, double normalizer, bool initialState, ScalarType dtype, long seed)
    {
        manual_seed(seed);
        Tensor Leaf(Tensor x) => x.to(dtype).detach().requires_grad_(true);
        return new Case(Leaf(randn(B, Heads, t, kd).softmax(-1)), Leaf(randn(B, Heads, t, kd).softmax(-1)), Leaf(randn(B, Shared, t, vd)),
            (nn.functional.logsigmoid(randn(B, Shared, t, gateWidth)) / normalizer).detach().requires_grad_(true),
            initialState ? (rand(B, Heads, kd, vd + 1) * 0.1).requires_grad_(true) : null);
    }

    /// <summary>Output, final state and the leaves' gradients for fixed random upstream gradients of both outputs.</summary>
    static Tensor[] Run(Case c, bool finalStateUsed, Func<(Tensor Y, Tensor S)> form)
    {
        var (y, s) = form();
        manual_seed(5);
        var dy = randn(y.shape);
        var ds = randn(s.shape);
        var loss = (y.to(ScalarType.Float32) * dy).sum();
        if (finalStateUsed) loss = loss.Plus((s * ds).sum());
        loss.backward();
        var r = new[] { y.detach().to(ScalarType.Float32), s.detach() }.Concat(c.Leaves.Select(x => x.grad!.detach().to(ScalarType.Float32).clone())).ToArray();
        foreach (var x in c.Leaves) x.grad!.zero_();
        return r;
    }

    /// <summary>The definition: the recurrence over [v, 1] with shared heads repeated, then num / (den + eps), in fp32.</summary>
    static (Tensor, Tensor) Reference(Case c, double scale)
    {
        var (t, kd, groups) = (c.Q.shape[2], c.Q.shape[3], Heads / Shared);
        var f32 = (Tensor x) => x.to(ScalarType.Float32);
        var gh = f32(c.G).repeat_interleave(groups, 1).expand(B, Heads, t, kd);
        var vh = f32(c.V).repeat_interleave(groups, 1);
        var (o, s) = GatedLinearAttention.Recurrent(f32(c.Q), f32(c.K), cat(new[] { vh, ones(B, Heads, t, 1) }, -1), gh, scale, c.S0);
        long vd = c.V.shape[3];
        return (o[.., .., .., ..(int)vd] / (o[.., .., .., (int)vd..] + Eps), s);
    }

    static void AssertClose(Tensor[] reference, Tensor[] actual, double tol, string what)
    {
        Assert.Equal(reference.Length, actual.Length);
        for (int i = 0; i < reference.Length; i++) TensorAssert.RmseBelow(reference[i], actual[i], tol, $"{what}: {Names[i]}");
    }

    /// <summary>
    /// Lengths around the chunk (64) and past several chunks; per-feature and per-head gates; with and without an initial
    /// state and a used final state (one token: with them only); normalizer 0.1 makes chunks decay past e^30, so the backward halves its chunk.
    /// </summary>
    public static IEnumerable<object[]> Cases =>
        from t in new[] { 1, 7, 64, 65, 200 }
        from gateWidth in new[] { 20, 1 }
        from normalizer in new[] { 0.1, 4.0 }
        where t > 1 || normalizer > 1                  // one token under a strong decay: y ≈ v, dq and dk cancel to rounding noise
        select new object[] { t, gateWidth, normalizer };

    [Theory, MemberData(nameof(Cases))]
    public void ClosedFormGradientsMatchTheRecurrence(int t, int gateWidth, double normalizer)
    {
        const int kd = 20, vd = 33;
        double scale = Math.Pow(kd, -0.5);
        // One token and no initial state: y = v whatever q and k, so their gradients are rounding noise; not compared.
        foreach (bool withState in t == 1 ? new[] { true } : new[] { true, false })
        {
            var c = Inputs(t, kd, vd, gateWidth, normalizer, withState, ScalarType.Float32, seed: t * 10 + gateWidth);
            var reference = Run(c, withState, () => Reference(c, scale));
            var actual = Run(c, withState, () => NormalizedGlaFunction.Apply(c.Q, c.K, c.V, c.G, scale, Eps, c.S0, onTensorCores: false));
            AssertClose(reference, actual, Fp32Tol, $"T={t} gate width {gateWidth} normalizer {normalizer} initial state {withState}");
        }
    }

    /// <summary>
    /// Through <see cref="KernelBackend"/> as a bf16 layer trains: operands rounded to bf16, the forward on the tensor-core
    /// kernels (emulated), gradients flowing back through the rounding to fp32 leaves.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    [InlineData(130)]
    public void TrainingCallsRunTheTensorCoreForwardAndTheClosedFormBackward(int t)
    {
        using var _ = KernelLaunchers.Use(new EmulatedKernels());
        using var oneThread = new SingleTorchThread();
        const int kd = 64, vd = 32;
        double scale = Math.Pow(kd, -0.5);
        var c = Inputs(t, kd, vd, kd, 4.0, initialState: true, ScalarType.Float32, seed: t);
        Assert.True(GlaMma.Supports(c.Q.to(ScalarType.BFloat16), c.K.to(ScalarType.BFloat16), c.V.to(ScalarType.BFloat16), c.G));
        var rounded = new Case(Bf16Leaf(c.Q), Bf16Leaf(c.K), Bf16Leaf(c.V), c.G, c.S0);
        var reference = Run(rounded, true, () => Reference(rounded, scale));
        var actual = Run(c, true, () => KernelBackend.Normalized(c.Q, c.K, c.V, c.G, scale, Eps, c.S0, KernelPolicy.TensorCores, operands: ScalarType.BFloat16));
        AssertClose(reference, actual, Bf16Tol, $"T={t}, bf16 operands");
    }

    /// <summary>
    /// A gradient call under a kernel policy runs the tensor-core forward (bf16 output) and still records gradients; under
    /// the tensor-only policy the same call stays in tensor operations (fp32 output, autograd through the chunked form).
    /// </summary>
    [Fact]
    public void GradientCallsRunTheKernelForwardOnlyUnderAKernelPolicy()
    {
        using var _ = KernelLaunchers.Use(new EmulatedKernels());
        using var oneThread = new SingleTorchThread();
        var c = Inputs(9, 64, 8, 64, 4.0, initialState: false, ScalarType.Float32, seed: 3);
        double scale = 0.125;
        var (kernel, _) = KernelBackend.Normalized(c.Q, c.K, c.V, c.G, scale, Eps, null, KernelPolicy.TensorCores, operands: ScalarType.BFloat16);
        var (tensors, _) = KernelBackend.Normalized(c.Q, c.K, c.V, c.G, scale, Eps, null, KernelPolicy.TensorOnly, operands: ScalarType.BFloat16);
        Assert.True(kernel.requires_grad && tensors.requires_grad);
        Assert.Equal(ScalarType.BFloat16, kernel.dtype);
        Assert.Equal(ScalarType.Float32, tensors.dtype);
    }

    /// <summary>
    /// As a layer calls it: inside a dispose scope that ends before the backward pass, the final state unused (its gradient
    /// arrives undefined). The first GPU run of the node aborted here.
    /// </summary>
    [Fact]
    public void BackwardRunsAfterTheCallersDisposeScopeWithTheFinalStateUnused()
    {
        var c = Inputs(70, 20, 8, 20, 4.0, initialState: false, ScalarType.Float32, seed: 4);
        double scale = Math.Pow(20, -0.5);
        var reference = Run(c, false, () => Reference(c, scale));
        var actual = Run(c, false, () =>
        {
            using var scope = NewDisposeScope();
            var (y, s) = NormalizedGlaFunction.Apply(c.Q, c.K, c.V, c.G, scale, Eps, null, onTensorCores: false);
            return (y.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
        });
        AssertClose(reference, actual, Fp32Tol, "inside a dispose scope");
    }

    static Tensor Bf16Leaf(Tensor x) => x.detach().to(ScalarType.BFloat16).to(ScalarType.Float32).requires_grad_(true);
}
