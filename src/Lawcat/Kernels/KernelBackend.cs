using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Kernels;

/// <summary>
/// The one place that decides where LAWCAT's attention runs. Each call names a <see cref="KernelPolicy"/>; the highest
/// level it allows whose kernels take the call's inputs runs it:
/// <list type="bullet">
/// <item>fused LAWCAT kernels (<see cref="LawcatKernels"/>): a layer's conv and feature maps for a prompt (in training, as the
/// autograd node <see cref="LawcatFeaturesFunction"/>), a whole decoding step; and around attention, a decoding step's
/// RMSNorms and SwiGLU product (<see cref="DecoderKernels"/>, see <see cref="DecoderStep"/>);</item>
/// <item>tensor cores (<see cref="GlaMma"/>): the chunked op on bf16 operands, key width 64; with gradients, the normalized
/// op as one autograd node (<see cref="NormalizedGlaFunction"/>) whose backward is closed-form and chunked;</item>
/// <item>CUDA cores (<see cref="GlaCuda"/>): the chunked op and its step in fp32 arithmetic, any width;</item>
/// <item>tensor operations (<see cref="GatedLinearAttention"/>, the specification's forms, with autograd) for everything
/// else: the CPU, other forms, shapes no kernel takes.</item>
/// </list>
/// Kernels run where the current launcher runs (CUDA with NVRTC; the test suite's CPU emulator); apart from the normalized
/// op's autograd node, only when no input needs a gradient. Same contracts as the <see cref="GatedLinearAttention"/> forms they stand for.
/// </summary>
public static class KernelBackend
{
    /// <summary>
    /// Whether kernels of <paramref name="level"/> may take a call on these tensors under <paramref name="policy"/>. The
    /// CUDA-core kernels launch through CUDA itself; the others through the current launcher (which the tests emulate).
    /// </summary>
    static bool Kernels(KernelPolicy policy, KernelPolicy level, Tensor first, params Tensor?[] rest) =>
        policy.Allows(level) && (level == KernelPolicy.CudaCores ? CudaLauncher.Instance : KernelLaunchers.Current).Runs(first.device)
        && !NeedsGradient(rest.Prepend(first));

    /// <summary>Whether autograd would record a call on these tensors.</summary>
    public static bool NeedsGradient(IEnumerable<Tensor?> tensors) => is_grad_enabled() && tensors.Any(t => t is { requires_grad: true });

    /// <summary><see cref="GatedLinearAttention.Chunked"/> (a prefill of the plain op) where <paramref name="policy"/> says.</summary>
    public static (Tensor Output, Tensor FinalState) Chunked(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? initialState,
        KernelPolicy policy, int chunkSize = GatedLinearAttention.DefaultChunkSize)
    {
        if (Kernels(policy, KernelPolicy.TensorCores, q, k, v, g, initialState) && GlaMma.Supports(q, k, v, g))
            return GlaMma.Forward(q, k, v, g, scale, initialState, null);
        if (Kernels(policy, KernelPolicy.CudaCores, q, k, v, g, initialState) && GlaCuda.Supports(q, k, v, g))
            return GlaCuda.Forward(q, k, v, g, scale, initialState, chunkSize);
        return GatedLinearAttention.Chunked(q, k, v, g, scale, initialState, chunkSize);
    }

    /// <summary><see cref="GatedLinearAttention.Step"/> (one decoding step of the plain op) where <paramref name="policy"/> says.</summary>
    public static (Tensor Output, Tensor FinalState) Step(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? state, KernelPolicy policy)
    {
        if (Kernels(policy, KernelPolicy.CudaCores, q, k, v, g, state) && GlaCuda.Supports(q, k, v, g)) return GlaCuda.Step(q, k, v, g, scale, state);
        return GatedLinearAttention.Step(q, k, v, g, scale, state);
    }

    /// <summary>
    /// <see cref="GatedLinearAttention.Normalized"/> where <paramref name="policy"/> says. The tensor-core kernels take it
    /// whole (ones column and division inside); the CUDA-core kernels take the op inside the normalization. With
    /// <paramref name="operands"/> bf16 (a bf16 model's layer), fp32 q, k, v may be rounded to bf16 for the tensor cores,
    /// and the output is then bf16. When an input needs a gradient and the policy allows the tensor cores on this device,
    /// the call becomes one autograd node (<see cref="NormalizedGlaFunction"/>: forward on the tensor cores where they take
    /// the inputs, the closed-form chunked backward of <see cref="GatedLinearAttentionBackward"/>).
    /// </summary>
    public static (Tensor Output, Tensor FinalState) Normalized(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps,
        Tensor? initialState, KernelPolicy policy, GlaForm form = GlaForm.Chunked, int chunkSize = GatedLinearAttention.DefaultChunkSize,
        ScalarType? operands = null)
    {
        if (form != GlaForm.Chunked) return GatedLinearAttention.Normalized(q, k, v, g, scale, eps, initialState, form, chunkSize);
        if (policy.Allows(KernelPolicy.TensorCores) && KernelLaunchers.Current.Runs(q.device))
        {
            using var scope = NewDisposeScope();
            var (qb, kb, vb) = operands == ScalarType.BFloat16 ? (Bf16(q), Bf16(k), Bf16(v)) : (q, k, v);
            bool tensorCores = GlaMma.Supports(qb, kb, vb, g), gradient = NeedsGradient(new[] { q, k, v, g, initialState });
            if (gradient || tensorCores)
            {
                var (y, s) = gradient ? NormalizedGlaFunction.Apply(qb, kb, vb, g, scale, eps, initialState, tensorCores)
                    : GlaMma.Forward(qb, kb, vb, g, scale, initialState, eps);
                return (y.MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
            }
        }
        return GatedLinearAttention.Normalize(q, k, v, g, eps, (values, gates) => Chunked(q, k, values, gates, scale, initialState, policy, chunkSize));
    }

    /// <summary>
    /// <see cref="GatedLinearAttention.NormalizedStep"/> where <paramref name="policy"/> says: one fused kernel (a contiguous
    /// fp32 state updated in place), else the CUDA-core step inside the normalization, else tensor operations.
    /// </summary>
    public static (Tensor Output, Tensor FinalState) NormalizedStep(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps,
        Tensor? state, KernelPolicy policy)
    {
        if (Kernels(policy, KernelPolicy.Fused, q, k, v, g, state) && LawcatKernels.SupportsStep(q, k, v, g, state))
            return LawcatKernels.NormalizedStep(q, k, v, g, scale, eps, state!);
        return GatedLinearAttention.Normalize(q, k, v, g, eps, (values, gates) => Step(q, k, values, gates, scale, state, policy));
    }

    /// <summary>
    /// Whether a LAWCAT layer's per-token work runs on the fused kernels: <paramref name="policy"/> allows them, the launcher
    /// runs on <paramref name="x"/>'s device, the layer computes what they compute (<paramref name="headlinePath"/>: conv on q
    /// and k, Hedgehog, denominator normalization, no RoPE, no window, chunked form) and <see cref="LawcatKernels.SupportsLayer"/>
    /// takes its widths and dtypes. A prompt may need gradients (training: see <see cref="Features"/>); a decoding step may not.
    /// </summary>
    public static bool FusedLayer(KernelPolicy policy, Tensor x, bool decoding, bool headlinePath, bool needsGradient, LawcatKernels.LayerShape shape) =>
        policy.Allows(KernelPolicy.Fused) && headlinePath && !(needsGradient && decoding) && KernelLaunchers.Current.Runs(x.device)
        && LawcatKernels.SupportsLayer(shape, x.dtype, decoding);

    /// <summary>
    /// A prompt's conv and feature maps on the fused kernel (<see cref="LawcatKernels.Features"/>, same arguments); when an
    /// input needs a gradient, as the autograd node <see cref="LawcatFeaturesFunction"/> around it.
    /// </summary>
    public static (Tensor Fq, Tensor Fk, Tensor QTail, Tensor KTail) Features(Tensor qp, Tensor kp, Tensor convQ, Tensor convK,
        Tensor? qTail, Tensor? kTail, Tensor featureWeights, Tensor? valid, int heads, int kvHeads) =>
        NeedsGradient(new[] { qp, kp, convQ, convK, featureWeights })
            ? LawcatFeaturesFunction.Apply(qp, kp, convQ, convK, qTail, kTail, featureWeights, valid, heads, kvHeads)
            : LawcatKernels.Features(qp, kp, convQ, convK, qTail, kTail, featureWeights, valid, heads, kvHeads);

    /// <summary>
    /// Whether a decoder layer's RMSNorm and SwiGLU product on x [B, T, C] (with <paramref name="others"/>, the weights
    /// among them) run on <see cref="DecoderKernels"/>: a decoding step (T = 1: its time is its launches), the process's
    /// policy (<see cref="KernelPolicies.Default"/>) allowing the fused kernels, the launcher running on x's device, no
    /// gradient, tensors the kernels take. A prompt keeps the tensor operations, whose bf16 logits are Hugging Face's bit for bit.
    /// </summary>
    public static bool DecoderStep(Tensor x, params Tensor[] others) =>
        x.dim() == 3 && x.shape[1] == 1 && Kernels(KernelPolicies.Default, KernelPolicy.Fused, x, others) && DecoderKernels.Supports(x, others);

    static Tensor Bf16(Tensor x) => x.dtype == ScalarType.BFloat16 ? x : x.to(ScalarType.BFloat16);
}
