using TorchSharp;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;
using static TorchSharp.torch.autograd;

namespace Lawcat.Kernels;

/// <summary>
/// LAWCAT's normalized gated linear attention as one autograd node, the training path of <see cref="KernelBackend"/>: the
/// forward runs on the tensor-core kernels (<see cref="GlaMma"/>) where they take the inputs, else on the chunked tensor
/// form without recording a graph; it keeps only its inputs, and the backward recomputes what it needs in
/// <see cref="GatedLinearAttentionBackward"/>. Same contract as <see cref="GatedLinearAttention.Normalized"/>.
/// </summary>
public sealed class NormalizedGlaFunction : MultiTensorFunction<NormalizedGlaFunction>
{
    /// <inheritdoc/>
    public override string Name => "LawcatNormalizedGla";

    /// <summary>
    /// (y, final state) with gradients for q, k, v, g and the initial state: q, k [B, H, T, K], v [B, Hv, T, V], g [B, Hg,
    /// T, K or 1], initial state [B, H, K, V + 1] or null. <paramref name="onTensorCores"/>: the forward goes to
    /// <see cref="GlaMma"/> (the caller checked that its launcher runs there and it supports the inputs).
    /// </summary>
    public static (Tensor Output, Tensor FinalState) Apply(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps,
        Tensor? initialState, bool onTensorCores)
    {
        var outputs = apply(q, k, v, g, initialState!, scale, eps, onTensorCores);
        return (outputs[0], outputs[1]);
    }

    /// <inheritdoc/>
    public override List<Tensor> forward(AutogradContext ctx, params object[] vars)
    {
        var (q, k, v, g, s0) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (Tensor)vars[3], vars[4] as Tensor);
        var (scale, eps, onTensorCores) = ((double)vars[5], (double)vars[6], (bool)vars[7]);
        ctx.save_for_backward(new() { q, k, v, g, s0! });
        ctx.set_materialize_grads(false);                                              // see GradientHandOver.Defined
        ctx.save_data(nameof(scale), scale);
        ctx.save_data(nameof(eps), eps);
        ctx.save_data(nameof(ChunkDecay), new ChunkDecay(g));
        var (y, s) = onTensorCores ? GlaMma.Forward(q, k, v, g, scale, s0, eps) : GatedLinearAttention.Normalized(q, k, v, g, scale, eps, s0);
        return new() { y, s };
    }

    /// <inheritdoc/>
    public override List<Tensor> backward(AutogradContext ctx, List<Tensor> gradOutputs) => GradientHandOver.Run(gradOutputs, () =>
    {
        var saved = ctx.get_saved_variables();
        var d = GatedLinearAttentionBackward.Normalized(saved[0], saved[1], saved[2], saved[3], (double)ctx.get_data("scale"),
            (double)ctx.get_data("eps"), saved[4], GradientHandOver.Defined(gradOutputs[0]), GradientHandOver.Defined(gradOutputs[1]),
            ((ChunkDecay)ctx.get_data(nameof(ChunkDecay))).SafeChunkSize());
        return new List<Tensor?> { d.Q, d.K, d.V, d.G, d.InitialState, null, null, null };
    });

    /// <summary>
    /// The largest decay over a chunk of the forward's gates, copied to pinned host memory without waiting: by the backward
    /// pass the copy has landed (the loss was read in between), so the backward learns its chunk length without stalling
    /// the device. A copy not yet landed reads NaN, and the backward then checks for itself.
    /// </summary>
    sealed class ChunkDecay
    {
        readonly Tensor _host;

        public ChunkDecay(Tensor g)
        {
            using var scope = NewDisposeScope();
            using var notYet = double.NaN.ToScalar();
            var host = full(1, notYet, ScalarType.Float32, CPU);
            _host = (g.device.type == TorchSharp.DeviceType.CPU ? host : host.pin_memory()).DetachFromDisposeScope();
            _host.copy_(GatedLinearAttentionBackward.LargestChunkDecay(g).reshape(1), true);
        }

        /// <summary>The default chunk length when the forward's gates allow it; null when unknown or too strongly decaying.</summary>
        public int? SafeChunkSize()
        {
            float decay = _host.item<float>();
            _host.Dispose();
            return decay <= GatedLinearAttention.FactoredScoresMaxDecay ? GatedLinearAttention.DefaultChunkSize : null;
        }
    }
}
