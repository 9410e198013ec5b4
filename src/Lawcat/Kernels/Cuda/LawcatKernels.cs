using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Lawcat.Kernels.Cuda;

/// <summary>
/// LAWCAT's per-token work in single CUDA kernels (LawcatKernels.cu), for inference with head width 64 and fp32 LAWCAT
/// parameters: the prefill features (causal conv of q and k, Hedgehog feature map) of a whole prompt in one launch, a
/// whole decoding step of a layer's linear path in one launch, and the normalized state update alone. The tensor
/// operations of <see cref="Attention.LawcatAttention"/> are the oracle (<see cref="LawcatKernelsCheck"/>, which the test
/// suite runs on the kernels' source emulated on the CPU, and <c>lawcat bench kernels</c> on a GPU).
/// </summary>
public static class LawcatKernels
{
    const int HeadWidth = 64, FeatureWidth = 32, Chunk = 64, MaxTaps = 8, TilePitch = 65;
    static readonly AsyncLocal<bool> Suspended = new();

    /// <summary>
    /// Use the fused kernels on CUDA. Off by default (set <c>LAWCAT_FUSED_KERNELS=1</c> or this property): their
    /// arithmetic is checked on the CPU in the test suite, but they have not yet passed <c>lawcat bench kernels</c> on a
    /// GPU; run that check first. Off, a layer takes its tensor operations and the tensor-core GLA as before.
    /// </summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("LAWCAT_FUSED_KERNELS") == "1";

    /// <summary>Whether tensors on <paramref name="device"/> go to the fused kernels here.</summary>
    public static bool Runs(Device device)
    {
        var launcher = KernelLaunchers.Current;
        return !Suspended.Value && launcher.Runs(device) && (Enabled || !launcher.IsGpu);
    }

    /// <summary>Within the returned scope (this async flow only), layers take their tensor operations.</summary>
    public static IDisposable TensorOperationsOnly()
    {
        bool before = Suspended.Value;
        Suspended.Value = true;
        return new Scope(() => Suspended.Value = before);
    }

    [StructLayout(LayoutKind.Sequential)]
    struct FeatureArgs
    {
        public nint Qp, Kp, Wq, Wk, QTail, KTail, W, Valid, Fq, Fk, QTailOut, KTailOut;
        public long Qpb, Qpt, Kpb, Kpt, T, H, Hkv, R;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct DecodeArgs
    {
        public nint Qp, Kp, Vp, Wq, Wk, QTail, KTail, W, G, S, Y;
        public long Qpb, Kpb, Vpb, Gb, Gh, Yb, H, Hkv, Hg, Gw, R;
        public float Scale, Eps;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct StepArgs
    {
        public nint Q, K, V, G, S, Y;
        public long Qb, Qh, Kb, Kh, Vb, Vh, Gb, Gh, H, Hv, Hg, Gw;
        public float Scale, Eps;
    }

    /// <summary>The largest conv kernel the fused kernels take.</summary>
    public const int MaxConvTaps = MaxTaps;

    static int FeatureShared(int taps) => 4 * (2 * (Chunk + taps - 1) * TilePitch + 2 * Chunk * TilePitch + HeadWidth * FeatureWidth);

    static KernelModule Module(bool bf16, int v) => new("LawcatKernels.cu", new[] { $"-DIN_BF16={(bf16 ? 1 : 0)}", $"-DVD={v}" },
        new[] { "lawcat_features", "lawcat_decode", "gla_normalized_step" }, FeatureShared(MaxTaps));

    static void Launch(bool bf16, int v, string kernel, (uint X, uint Y, uint Z) grid, uint sharedBytes, object args, Device device) =>
        KernelLaunchers.Current.Launch(Module(bf16, v), kernel, grid, 128, sharedBytes, args, device);

    static nint P(Tensor? x) => x is null ? 0 : CudaNative.DataPointer(x);

    static Tensor Fp32(Tensor x) => x.to(ScalarType.Float32).contiguous();

    // The kernels index log-decays per (batch, head) with a contiguous feature dimension.
    static Tensor Decays(Tensor g)
    {
        var gf = g.to(ScalarType.Float32);
        return gf.stride(3) == 1 ? gf : gf.contiguous();
    }

    /// <summary>
    /// Prefill features of one layer: projections qp [B, T, H·64], kp [B, T, Hkv·64] (bf16 or fp32, rows contiguous),
    /// conv weights [H·64, 1, R] for q and for the expanded k, the conv tails before the first token [B, H·64, R − 1]
    /// (null: zeros), Hedgehog projections [H, 64, 32], the padding mask [B, T] (null: none) →
    /// (φ(q~), φ(k~) [B, H, T, 64] bf16, the tails after the last token, fp32).
    /// </summary>
    public static (Tensor Fq, Tensor Fk, Tensor QTail, Tensor KTail) Features(Tensor qp, Tensor kp, Tensor convQ, Tensor convK,
        Tensor? qTail, Tensor? kTail, Tensor featureWeights, Tensor? valid, int heads, int kvHeads)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (qp.shape[0], qp.shape[1]);
        int taps = (int)convQ.shape[2];
        var dev = qp.device;
        bool bf16 = qp.dtype == ScalarType.BFloat16;
        var (qc, kc) = (qp.contiguous(), kp.to(qp.dtype).contiguous());
        var (wq, wk, w) = (Fp32(convQ), Fp32(convK), Fp32(featureWeights));
        var (qt, kt) = (qTail is null ? null : Fp32(qTail), kTail is null ? null : Fp32(kTail));
        var mask = valid is null ? null : Fp32(valid);
        var fq = empty(new[] { b, (long)heads, t, HeadWidth }, ScalarType.BFloat16, dev);
        var fk = empty(new[] { b, (long)heads, t, HeadWidth }, ScalarType.BFloat16, dev);
        var qOut = empty(new[] { b, (long)heads * HeadWidth, taps - 1L }, ScalarType.Float32, dev);
        var kOut = empty(new[] { b, (long)heads * HeadWidth, taps - 1L }, ScalarType.Float32, dev);
        var args = new FeatureArgs
        {
            Qp = P(qc), Kp = P(kc), Wq = P(wq), Wk = P(wk), QTail = P(qt), KTail = P(kt), W = P(w), Valid = P(mask),
            Fq = P(fq), Fk = P(fk), QTailOut = P(qOut), KTailOut = P(kOut),
            Qpb = qc.stride(0), Qpt = qc.stride(1), Kpb = kc.stride(0), Kpt = kc.stride(1), T = t, H = heads, Hkv = kvHeads, R = taps,
        };
        Launch(bf16, HeadWidth, "lawcat_features", ((uint)((t + Chunk - 1) / Chunk), (uint)heads, (uint)b), (uint)FeatureShared(taps), args, dev);
        return (fq.MoveToOuterDisposeScope(), fk.MoveToOuterDisposeScope(), qOut.MoveToOuterDisposeScope(), kOut.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// One decoding step of a layer's linear path for projections qp [B, 1, H·64], kp, vp [B, 1, Hkv·64] (bf16 or fp32):
    /// conv steps on the tails [B, H·64, R − 1] fp32 and the state [B, H, 64, 65] fp32 (both contiguous, updated in
    /// place), Hedgehog projections [H, 64, 32], log-decays g [B, Hg, 1, 64 or 1] (null: no decay) → y [B, 1, H·64]
    /// in qp's dtype.
    /// </summary>
    public static Tensor DecodeStep(Tensor qp, Tensor kp, Tensor vp, Tensor convQ, Tensor convK, Tensor qTail, Tensor kTail,
        Tensor featureWeights, Tensor? g, Tensor state, double scale, double eps, int heads, int kvHeads)
    {
        using var scope = NewDisposeScope();
        long b = qp.shape[0];
        var dev = qp.device;
        bool bf16 = qp.dtype == ScalarType.BFloat16;
        var (qc, kc, vc) = (qp.contiguous(), kp.to(qp.dtype).contiguous(), vp.to(qp.dtype).contiguous());
        var (wq, wk, w) = (Fp32(convQ), Fp32(convK), Fp32(featureWeights));
        var gf = g is null ? null : Decays(g);
        var y = empty(new[] { b, 1L, (long)heads * HeadWidth }, qp.dtype, dev);
        var args = new DecodeArgs
        {
            Qp = P(qc), Kp = P(kc), Vp = P(vc), Wq = P(wq), Wk = P(wk), QTail = P(qTail), KTail = P(kTail), W = P(w), G = P(gf), S = P(state), Y = P(y),
            Qpb = qc.stride(0), Kpb = kc.stride(0), Vpb = vc.stride(0), Gb = gf?.stride(0) ?? 0, Gh = gf?.stride(1) ?? 0, Yb = y.stride(0),
            H = heads, Hkv = kvHeads, Hg = gf?.shape[1] ?? 1, Gw = gf?.shape[3] ?? 1, R = convQ.shape[2], Scale = (float)scale, Eps = (float)eps,
        };
        Launch(bf16, HeadWidth, "lawcat_decode", ((uint)heads, (uint)b, 1), 0, args, dev);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Whether <see cref="NormalizedStep"/> takes these inputs.</summary>
    public static bool StepApplies(Tensor q, Tensor k, Tensor v, Tensor g, Tensor? state) =>
        Runs(q.device) && !new[] { q, k, v, g }.Any(x => x.requires_grad) && q.shape[3] == HeadWidth && k.shape[3] == HeadWidth && v.shape[3] <= HeadWidth
        && q.dtype == k.dtype && q.dtype == v.dtype && (q.dtype == ScalarType.BFloat16 || q.dtype == ScalarType.Float32)
        && q.shape[1] % v.shape[1] == 0 && q.shape[1] % g.shape[1] == 0 && (g.shape[3] == 1 || g.shape[3] == HeadWidth)
        && q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1 && state is { dtype: ScalarType.Float32 } && state.is_contiguous();

    /// <summary>
    /// The normalized state update in one kernel: q, k [B, H, 1, 64], v [B, Hv, 1, V], g [B, Hg, 1, 64 or 1], state
    /// [B, H, 64, V + 1] fp32 contiguous (updated in place) → (y [B, H, 1, V] in q's dtype, the state).
    /// </summary>
    public static (Tensor Output, Tensor State) NormalizedStep(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps, Tensor state)
    {
        using var scope = NewDisposeScope();
        var (b, h) = (q.shape[0], q.shape[1]);
        var gf = Decays(g);
        var y = empty(new[] { b, h, 1L, v.shape[3] }, q.dtype, q.device);
        var args = new StepArgs
        {
            Q = P(q), K = P(k), V = P(v), G = P(gf), S = P(state), Y = P(y),
            Qb = q.stride(0), Qh = q.stride(1), Kb = k.stride(0), Kh = k.stride(1), Vb = v.stride(0), Vh = v.stride(1),
            Gb = gf.stride(0), Gh = gf.stride(1), H = h, Hv = v.shape[1], Hg = gf.shape[1], Gw = gf.shape[3], Scale = (float)scale, Eps = (float)eps,
        };
        Launch(q.dtype == ScalarType.BFloat16, (int)v.shape[3], "gla_normalized_step", ((uint)h, (uint)b, 1), 0, args, q.device);
        return (y.MoveToOuterDisposeScope(), state.alias().MoveToOuterDisposeScope());
    }
}
