using TorchSharp;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Lawcat.Kernels;

/// <summary>
/// A LAWCAT layer's causal conv and Hedgehog feature maps for q and k as one autograd node, for training on the fused
/// kernels: the forward is <see cref="LawcatKernels.Features"/>, the backward <see cref="LawcatKernels.FeaturesBackward"/>
/// (one launch each; the backward recomputes the conv outputs and feature logits in fp32 and applies the closed-form
/// gradients of the clamp, the two softmaxes, the Hedgehog projection, the conv and the padding mask). What it computes
/// is Attention's <c>CausalConv1d</c> then <c>FeatureMap</c> (Hedgehog), which the tests hold it to, gradients included.
/// </summary>
public sealed class LawcatFeaturesFunction : MultiTensorFunction<LawcatFeaturesFunction>
{
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
        var (dfq, dfk) = (GradientHandOver.Defined(gradOutputs[0]), GradientHandOver.Defined(gradOutputs[1]));
        if (dfq is null && dfk is null) return new List<Tensor?>(new Tensor?[10]);
        var s = ctx.get_saved_variables();
        var (qp, kp, convQ, convK, qTail, kTail, w, valid) = (s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]);
        var (heads, kvHeads) = ((int)ctx.get_data("heads"), (int)ctx.get_data("kvHeads"));
        var (qGrad, kGrad) = ((bool, bool))ctx.get_data("projectionGradients");
        var (dqp, dkp, dConvQ, dConvK, dw) = LawcatKernels.FeaturesBackward(qp, kp, convQ, convK, qTail, kTail, w, valid, dfq, dfk, heads, kvHeads);
        return new List<Tensor?>
        {
            qGrad ? dqp?.to(qp.dtype) : null, kGrad ? dkp?.to(kp.dtype) : null, dConvQ?.to(convQ.dtype), dConvK?.to(convK.dtype), null, null,
            dw.to(w.dtype), null, null, null,
        };
    });
}
