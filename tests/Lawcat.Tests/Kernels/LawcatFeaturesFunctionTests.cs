using Lawcat.Attention;
using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// The features node (<see cref="LawcatFeaturesFunction"/>: the fused features kernel and its backward kernel, emulated)
/// against autograd through what the layer's tensor path runs: the padding mask on the projections, k's heads repeated for
/// its query heads, <see cref="CausalConv1d"/> from a tail, <see cref="FeatureMap"/> (Hedgehog), the mask on φ(k). Features
/// (the kernel writes them in bf16; the reference rounds its own the same way) within relative RMSE 5e-3; the gradients of
/// both projections, both conv filters and the Hedgehog weights for the same upstream gradients within 1e-5 (the backward
/// runs in fp32).
/// </summary>
[Trait("Category", "Kernels")]
public class LawcatFeaturesFunctionTests
{
    [Theory]
    [InlineData(70, true, true)]
    [InlineData(3, false, true)]
    [InlineData(300, true, true)]     // 5 chunks: two CTAs along the sequence, the second with one chunk
    [InlineData(65, false, false)]    // a loss on φ(q) only: no gradient reaches the k side
    public void GradientsMatchAutogradThroughTheLayersModules(int t, bool padded, bool lossOnKeys)
    {
        using var _ = KernelLaunchers.Use(new EmulatedKernels());
        using var oneThread = new SingleTorchThread();
        manual_seed(t);
        const int b = 2, heads = 4, kvHeads = 2, d = 64, taps = 4;
        long c = heads * d;
        var qp = randn(b, t, c).requires_grad_(true);
        var kp = randn(b, t, kvHeads * d).requires_grad_(true);
        var (qTail, kTail) = (randn(b, c, taps - 1), randn(b, c, taps - 1));
        var valid = ones(b, t);
        if (padded) valid[1, ..10].fill_(Scalars.Zero);
        var qConv = new CausalConv1d(c, taps, 0.0);
        var kConv = new CausalConv1d(c, taps, 0.0);
        var map = new FeatureMap(FeatureMapKind.HedgehogSoftmax, heads, d, identityInit: false);
        using (no_grad())
            foreach (var conv in new[] { qConv, kConv }) conv.Weight.copy_(randn(c, 1, taps).Times(0.5));
        var leaves = new[] { qp, kp, qConv.Weight, kConv.Weight, map.Weight! };
        var (upQ, upK) = (randn(b, heads, t, d), randn(b, heads, t, d));

        Tensor[] Run(Func<(Tensor Fq, Tensor Fk)> features)
        {
            foreach (var x in leaves) x.grad?.zero_();
            var (fq, fk) = features();
            var loss = (fq.to(ScalarType.Float32) * upQ).sum();
            (lossOnKeys ? loss.Plus((fk.to(ScalarType.Float32) * upK).sum()) : loss).backward();
            return new[] { fq.detach().to(ScalarType.Float32), fk.detach().to(ScalarType.Float32) }
                .Concat(leaves.Select(x => x.grad?.clone() ?? zeros_like(x))).ToArray();
        }
        Tensor Heads(Tensor y) => y.view(b, t, heads, d).transpose(1, 2);                 // [B, H, T, D]
        var reference = Run(() =>
        {
            var m = valid.unsqueeze(-1);
            var k = (kp * m).view(b, t, kvHeads, 1, d).expand(b, t, kvHeads, heads / kvHeads, d).reshape(b, t, c);
            var (uq, _) = qConv.forward(qp * m, qTail);
            var (uk, _) = kConv.forward(k, kTail);
            // In bf16 as the kernel writes them, so that both receive the same (bf16-rounded) upstream gradients.
            return (map.forward(Heads(uq)).to(ScalarType.BFloat16), (map.forward(Heads(uk)) * valid.view(b, 1, t, 1)).to(ScalarType.BFloat16));
        });
        var actual = Run(() =>
        {
            var (fq, fk, _, _) = LawcatFeaturesFunction.Apply(qp, kp, qConv.Weight, kConv.Weight, qTail, kTail, map.Weight!, padded ? valid : null, heads, kvHeads);
            return (fq, fk);
        });
        string[] names = { "φ(q)", "φ(k)", "dqp", "dkp", "d conv q", "d conv k", "d Hedgehog" };
        for (int i = 0; i < names.Length; i++)
            TensorAssert.RmseBelow(reference[i], actual[i], i < 2 ? 5e-3 : 1e-5, $"T={t}{(padded ? " padded" : "")}: {names[i]}");
    }
}
