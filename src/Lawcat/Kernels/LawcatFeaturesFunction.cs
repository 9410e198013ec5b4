using TorchSharp;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Lawcat.Kernels;

/// <summary>
/// A LAWCAT layer's causal conv and Hedgehog feature maps for q and k as one autograd node, for training on the fused
/// kernels: the forward is <see cref="LawcatKernels.Features"/> (one launch); the backward recomputes the conv outputs and
/// feature logits in fp32 tensor operations and applies the closed-form gradients of the clamp, the two softmaxes, the
/// Hedgehog projection, the conv and the padding mask. What it computes is Attention's <c>CausalConv1d</c> then
/// <c>FeatureMap</c> (Hedgehog), which the tests hold it to, gradients included.
/// </summary>
public sealed class LawcatFeaturesFunction : MultiTensorFunction<LawcatFeaturesFunction>
{
    const double MinFeature = 1e-12;

    /// <inheritdoc/>
    public override string Name => "LawcatFeatures";

    /// <summary>
    /// <see cref="LawcatKernels.Features"/> with gradients for the projections qp, kp and the weights (conv [H·64, 1, R] for q
    /// and the expanded k, Hedgehog [H, 64, 32]); the tails after the last token carry none.
    /// </summary>
    public static (Tensor Fq, Tensor Fk, Tensor QTail, Tensor KTail) Apply(Tensor qp, Tensor kp, Tensor convQ, Tensor convK,
        Tensor? qTail, Tensor? kTail, Tensor featureWeights, Tensor? valid, int heads, int kvHeads)
    {
        var o = apply(qp, kp, convQ, convK, qTail!, kTail!, featureWeights, valid!, heads, kvHeads);
        return (o[0], o[1], o[2], o[3]);
    }

    /// <inheritdoc/>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        var (qp, kp, convQ, convK, qTail, kTail, w, valid) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3],
            vars[4] as Tensor, vars[5] as Tensor, (Tensor)vars[6], vars[7] as Tensor);
        var (heads, kvHeads) = ((int)vars[8], (int)vars[9]);
        ctx.save_for_backward(new() { qp, kp, convQ, convK, qTail!, kTail!, w, valid! });
        ctx.save_data(nameof(heads), heads);
        ctx.save_data(nameof(kvHeads), kvHeads);
        ctx.save_data("projectionGradients", (qp.requires_grad, kp.requires_grad));
        ctx.set_materialize_grads(false);                                              // see GradientHandOver.Defined
        var (fq, fk, qt, kt) = LawcatKernels.Features(qp, kp, convQ, convK, qTail, kTail, w, valid, heads, kvHeads);
        ctx.mark_non_differentiable(new() { qt, kt });
        return new() { fq, fk, qt, kt };
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs) => GradientHandOver.Run(gradOutputs, () =>
    {
        var s = ctx.get_saved_variables();
        var (qp, kp, convQ, convK, qTail, kTail, w, valid) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
        var (heads, kvHeads) = ((int)ctx.get_data("heads"), (int)ctx.get_data("kvHeads"));
        var w32 = w.to(ScalarType.Float32);
        var mask = valid?.to(ScalarType.Float32).unsqueeze(-1);                         // [B, T, 1]
        var (qGrad, kGrad) = ((bool, bool))ctx.get_data("projectionGradients");
        var (dqp, dConvQ, dwq) = Side(qp, qGrad, convQ, qTail, w32, mask, false, GradientHandOver.Defined(gradOutputs[0]), heads, 1);
        var (dkp, dConvK, dwk) = Side(kp, kGrad, convK, kTail, w32, mask, true, GradientHandOver.Defined(gradOutputs[1]), heads, heads / kvHeads);
        Tensor? Sum(Tensor? a, Tensor? b) => a is null ? b : b is null ? a : a.Plus(b);
        return new List<Tensor?>
        {
            dqp?.to(qp.dtype), dkp?.to(kp.dtype), dConvQ?.to(convQ.dtype), dConvK?.to(convK.dtype), null, null,
            Sum(dwq, dwk)?.to(w.dtype), null, null, null,
        };
    });

    /// <summary>
    /// One side (q or k): projections p [B, T, Hs·64] (k's heads repeated <paramref name="groups"/> times before the conv),
    /// conv weight [C, 1, R], the tail before the first token [B, C, R − 1] or null, Hedgehog weights [H, 64, 32] fp32, the
    /// padding mask [B, T, 1] or null (applied to the projections, and to the features too when <paramref name="maskFeatures"/>:
    /// k's are), and the features' gradient dφ [B, H, T, 64] (null: unused) → (dp when <paramref name="projectionGradient"/>,
    /// d conv weight, d Hedgehog weights), fp32.
    /// </summary>
    static (Tensor? Dp, Tensor? DConv, Tensor? DW) Side(Tensor p, bool projectionGradient, Tensor conv, Tensor? tail, Tensor w, Tensor? mask,
        bool maskFeatures, Tensor? dPhi, int heads, int groups)
    {
        if (dPhi is null) return (null, null, null);
        var (b, t) = (p.shape[0], p.shape[1]);
        long c = (long)heads * 64;
        int r = (int)conv.shape[2] - 1;
        var x = p.to(ScalarType.Float32);
        if (groups > 1) x = x.view(b, t, -1, 1, 64).expand(b, t, heads / groups, groups, 64).reshape(b, t, c);   // [B, T, C]
        if (mask is not null) x = x * mask;
        var padded = cat(new[] { tail?.to(ScalarType.Float32) ?? zeros(new[] { b, c, (long)r }, ScalarType.Float32, p.device), x.transpose(1, 2) }, 2);   // [B, C, R − 1 + T]
        var conv32 = conv.to(ScalarType.Float32);
        var u = nn.functional.conv1d(padded, conv32, groups: c).view(b, heads, 64, t).transpose(2, 3);   // [B, H, T, 64]
        var logits = einsum("bhtd,hdf->bhtf", u, w);                                   // [B, H, T, 32]
        var (plus, minus) = (logits.softmax(-1), logits.neg().softmax(-1));
        var d = dPhi.to(ScalarType.Float32);
        if (mask is not null && maskFeatures) d = d * mask.view(b, 1, t, 1);
        // clamp_min passes the gradient where the value reached the floor or more.
        using var floor = MinFeature.ToScalar();
        var dPlus = d[.., .., .., ..32] * plus.ge(floor);
        var dMinus = d[.., .., .., 32..] * minus.ge(floor);
        var dLogits = plus * (dPlus - (dPlus * plus).sum(-1, keepdim: true)) - minus * (dMinus - (dMinus * minus).sum(-1, keepdim: true));
        var dw = einsum("bhtd,bhtf->hdf", u, dLogits);                                // [H, 64, 32]
        var du = einsum("bhtf,hdf->bhtd", dLogits, w).transpose(2, 3).reshape(b, c, t);   // [B, C, T]
        // y_t = Σ_j w_j x_{t−r+j}: dw_j = Σ dy_t x_{t−r+j}; dx_s = Σ_j w_j dy_{s+r−j}.
        var dConv = stack(Enumerable.Range(0, r + 1).Select(j => (du * padded.narrow(2, j, t)).sum(new long[] { 0, 2 })).ToArray(), -1).unsqueeze(1);   // [C, 1, R]
        var dPadded = zeros(new[] { b, c, t + r }, ScalarType.Float32, p.device);
        var taps = conv32.view(c, r + 1);
        for (int j = 0; j <= r; j++) dPadded.narrow(2, j, t).add_(du * taps.narrow(1, j, 1).view(1, c, 1), Scalars.One);
        var dx = dPadded.narrow(2, r, t).transpose(1, 2);                              // [B, T, C]
        if (mask is not null) dx = dx * mask;
        if (groups > 1) dx = dx.reshape(b, t, heads / groups, groups, 64).sum(3).reshape(b, t, c / groups);
        return (projectionGradient ? dx : null, dConv, dw);
    }
}
