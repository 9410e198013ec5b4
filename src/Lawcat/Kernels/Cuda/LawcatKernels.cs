using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Lawcat.Kernels.Cuda;

/// <summary>
/// LAWCAT's per-token work in single CUDA kernels (LawcatKernels.cu), for inference with head width 64 and fp32 LAWCAT
/// parameters: the prefill features (causal conv of q and k, Hedgehog feature map) of a whole prompt in one launch, a
/// whole decoding step of a layer's linear path in one launch, and the normalized state update alone. The tensor
/// operations of <see cref="Attention.LawcatAttention"/> are the oracle (<c>Benchmarks.LawcatKernelsCheck</c>, which the test
/// suite runs on the kernels' source emulated on the CPU, and <c>lawcat bench kernels</c> on a GPU). <see cref="KernelBackend"/>
/// decides when they run.
/// </summary>
public static class LawcatKernels
{
    const int HeadWidth = 64, FeatureWidth = 32, Chunk = 64, MaxTaps = 8, WeightPitch = 40, ConvPitch = 72, MaxGateRank = 64;

    /// <summary>Dynamic shared memory a launch may take without an opt-in (the decoding kernel holds the layer input there).</summary>
    const int DefaultSharedLimit = 48 * 1024;

    /// <summary>What of a layer the fused kernels depend on: head width, conv taps, and the dtypes of its conv and Hedgehog weights.</summary>
    public sealed record LayerShape(int HeadDim, int ConvTaps, ScalarType ConvDtype, ScalarType FeatureMapDtype);

    /// <summary>
    /// Whether the fused kernels take a layer of <paramref name="shape"/> with inputs of <paramref name="dtype"/>: head width 64,
    /// at most <see cref="MaxConvTaps"/> taps, fp32 LAWCAT weights; a prompt in bf16, a decoding step in bf16 or fp32.
    /// </summary>
    public static bool SupportsLayer(LayerShape shape, ScalarType dtype, bool decoding) =>
        shape.HeadDim == HeadWidth && shape.ConvTaps <= MaxTaps && shape.ConvDtype == ScalarType.Float32 && shape.FeatureMapDtype == ScalarType.Float32
        && (decoding ? dtype is ScalarType.BFloat16 or ScalarType.Float32 : dtype == ScalarType.BFloat16);

    /// <summary>The low-rank gate g = logsigmoid(W_up W_down x + b) / normalizer: down [rank, C], up [Hkv·64, rank], bias [Hkv·64], fp32.</summary>
    public sealed record LowRankGate(Tensor Down, Tensor Up, Tensor? Bias, double Normalizer);

    /// <summary>The q, k, v projections as plain linear maps: weights [out, C] and biases (or null), in the layer input's dtype.</summary>
    public sealed record Projections(Tensor Q, Tensor K, Tensor V, Tensor? QBias, Tensor? KBias, Tensor? VBias);

    [StructLayout(LayoutKind.Sequential)]
    struct FeatureArgs
    {
        public nint Qp, Kp, Wq, Wk, QTail, KTail, WHi, WLo, Valid, Fq, Fk, QTailOut, KTailOut;
        public long Qpb, Qpt, Kpb, Kpt, T, H, Hkv, R;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct FeatureGradArgs
    {
        public nint Qp, Kp, Wq, Wk, QTail, KTail, W, Valid, Dfq, Dfk, Dxq, Dxk, DwPart, DconvPart;
        public long Qpb, Qpt, Kpb, Kpt, T, H, Hkv, R, Chunks;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct DecodeArgs
    {
        public nint X, Wq, Wk, Wv, Bq, Bk, Bv, Qp, Kp, Vp, Cq, Ck, QTail, KTail, W, G, GDown, GUp, GBias, S, Y;
        public long Xb, C, Qpb, Kpb, Vpb, Gb, Gh, Yb, H, Hkv, Hg, Gw, R, Rank;
        public float Scale, Eps, GateScale;
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

    // Conv inputs fp32 [64 + R - 1][64], Hedgehog weights bf16 high and low [64][40] each, conv outputs bf16 high and low [64][72] each.
    static int FeatureShared(int taps) => (Chunk + taps - 1) * HeadWidth * 4 + 2 * HeadWidth * WeightPitch * 2 + 2 * Chunk * ConvPitch * 2;

    // Conv inputs fp32 [64 + 2(R - 1)][64], their outputs' gradients [64 + R - 1][64], Hedgehog weights [64][33], per warp a
    // token's conv outputs [64] and logit gradients [32].
    static int FeatureGradShared(int taps) => (2 * Chunk + 3 * (taps - 1)) * HeadWidth * 4 + HeadWidth * 33 * 4 + 4 * (HeadWidth + FeatureWidth) * 4;

    /// <summary>64-token chunks per CTA of the features' backward: fewer CTAs, fewer partial sums to add.</summary>
    const int GradChunksPerCta = 4;

    static KernelModule Module(bool bf16, int v) => new("LawcatKernels.cu", new[] { $"-DIN_BF16={(bf16 ? 1 : 0)}", $"-DVD={v}" },
        new[] { "lawcat_features", "lawcat_features_backward", "lawcat_decode", "gla_normalized_step" }, Math.Max(FeatureShared(MaxTaps), FeatureGradShared(MaxTaps)));

    /// <summary>Threads of a decoding step's CTA (DECODE_THREADS in the source): its projections are latency-bound, many warps hide that.</summary>
    const uint DecodeThreads = 512;

    static void Launch(bool bf16, int v, string kernel, (uint X, uint Y, uint Z) grid, uint sharedBytes, object args, Device device, uint threads = 128) =>
        KernelLaunchers.Current.Launch(Module(bf16, v), kernel, grid, threads, sharedBytes, args, device);

    static nint P(Tensor? x) => CudaNative.DataPointer(x);

    static Tensor Fp32(Tensor x) => x.dtype == ScalarType.Float32 && x.is_contiguous() ? x : x.to(ScalarType.Float32).contiguous();

    // The kernels read 16 bytes at a time from rows of projections: the rows must start on 16-byte boundaries.
    static Tensor Rows16(Tensor x) =>
        x.stride(2) == 1 && CudaNative.DataPointer(x) % 16 == 0 && x.stride(0) * x.ElementSize % 16 == 0 && x.stride(1) * x.ElementSize % 16 == 0 ? x : x.contiguous();

    // The kernels index log-decays per (batch, head) with a contiguous feature dimension.
    static Tensor Decays(Tensor g)
    {
        var gf = g.dtype == ScalarType.Float32 ? g : g.to(ScalarType.Float32);
        return gf.stride(3) == 1 ? gf : gf.contiguous();
    }

    /// <summary>What both feature kernels read, as they read it: projections with 16-byte rows (k in q's dtype), fp32 conv and Hedgehog weights, conv tails and padding mask.</summary>
    sealed record FeatureInputs(Tensor Q, Tensor K, Tensor ConvQ, Tensor ConvK, Tensor W, Tensor? QTail, Tensor? KTail, Tensor? Mask);

    static FeatureInputs FeatureInputsOf(Tensor qp, Tensor kp, Tensor convQ, Tensor convK, Tensor? qTail, Tensor? kTail, Tensor featureWeights, Tensor? valid) =>
        new(Rows16(qp), Rows16(kp.dtype == qp.dtype ? kp : kp.to(qp.dtype)), Fp32(convQ), Fp32(convK), Fp32(featureWeights),
            qTail is null ? null : Fp32(qTail), kTail is null ? null : Fp32(kTail), valid is null ? null : Fp32(valid));

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
        var x = FeatureInputsOf(qp, kp, convQ, convK, qTail, kTail, featureWeights, valid);
        var wHi = x.W.to(ScalarType.BFloat16);
        var wLo = (x.W - wHi.to(ScalarType.Float32)).to(ScalarType.BFloat16);          // W = hi + lo, for the 3-product tensor-core projection
        var fq = empty(new[] { b, (long)heads, t, HeadWidth }, ScalarType.BFloat16, dev);
        var fk = empty(new[] { b, (long)heads, t, HeadWidth }, ScalarType.BFloat16, dev);
        var qOut = empty(new[] { b, (long)heads * HeadWidth, taps - 1L }, ScalarType.Float32, dev);
        var kOut = empty(new[] { b, (long)heads * HeadWidth, taps - 1L }, ScalarType.Float32, dev);
        var args = new FeatureArgs
        {
            Qp = P(x.Q), Kp = P(x.K), Wq = P(x.ConvQ), Wk = P(x.ConvK), QTail = P(x.QTail), KTail = P(x.KTail), WHi = P(wHi), WLo = P(wLo),
            Valid = P(x.Mask), Fq = P(fq), Fk = P(fk), QTailOut = P(qOut), KTailOut = P(kOut),
            Qpb = x.Q.stride(0), Qpt = x.Q.stride(1), Kpb = x.K.stride(0), Kpt = x.K.stride(1), T = t, H = heads, Hkv = kvHeads, R = taps,
        };
        // One CTA per 64 tokens, head, and q or k.
        Launch(bf16, HeadWidth, "lawcat_features", ((uint)((t + Chunk - 1) / Chunk), (uint)heads, (uint)(2 * b)), (uint)FeatureShared(taps), args, dev);
        return (fq.MoveToOuterDisposeScope(), fk.MoveToOuterDisposeScope(), qOut.MoveToOuterDisposeScope(), kOut.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The gradients of <see cref="Features"/> (same inputs) for the features' gradients dφq, dφk [B, H, T, 64] (null: none
    /// on that side), in fp32: (d qp [B, T, H·64], d kp [B, T, Hkv·64], d conv q, d conv k [H·64, 1, R], d Hedgehog [H, 64, 32]),
    /// nulls for a side without a gradient. One launch; deterministic.
    /// </summary>
    public static (Tensor? Dqp, Tensor? Dkp, Tensor? DConvQ, Tensor? DConvK, Tensor DW) FeaturesBackward(Tensor qp, Tensor kp, Tensor convQ,
        Tensor convK, Tensor? qTail, Tensor? kTail, Tensor featureWeights, Tensor? valid, Tensor? dfq, Tensor? dfk, int heads, int kvHeads)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (qp.shape[0], qp.shape[1]);
        int taps = (int)convQ.shape[2];
        var dev = qp.device;
        var x = FeatureInputsOf(qp, kp, convQ, convK, qTail, kTail, featureWeights, valid);
        Tensor? Bf16(Tensor? d) => d is null || d.dtype == ScalarType.BFloat16 && d.is_contiguous() ? d : d.to(ScalarType.BFloat16).contiguous();
        var (gq, gk) = (Bf16(dfq), Bf16(dfk));
        long ctas = ((t + Chunk - 1) / Chunk + GradChunksPerCta - 1) / GradChunksPerCta;
        Tensor? PerHead(Tensor? g) => g is null ? null : empty(new[] { b, t, (long)heads * HeadWidth }, ScalarType.Float32, dev);
        var (dxq, dxk) = (PerHead(gq), PerHead(gk));
        var dwPart = empty(new[] { b, 2L, ctas, heads, HeadWidth, FeatureWidth }, ScalarType.Float32, dev);
        var dconvPart = empty(new[] { b, 2L, ctas, (long)heads * HeadWidth, taps }, ScalarType.Float32, dev);
        var args = new FeatureGradArgs
        {
            Qp = P(x.Q), Kp = P(x.K), Wq = P(x.ConvQ), Wk = P(x.ConvK), QTail = P(x.QTail), KTail = P(x.KTail), W = P(x.W), Valid = P(x.Mask),
            Dfq = P(gq), Dfk = P(gk), Dxq = P(dxq), Dxk = P(dxk), DwPart = P(dwPart), DconvPart = P(dconvPart),
            Qpb = x.Q.stride(0), Qpt = x.Q.stride(1), Kpb = x.K.stride(0), Kpt = x.K.stride(1), T = t, H = heads, Hkv = kvHeads, R = taps,
            Chunks = GradChunksPerCta,
        };
        Launch(qp.dtype == ScalarType.BFloat16, HeadWidth, "lawcat_features_backward", ((uint)ctas, (uint)heads, (uint)(2 * b)), (uint)FeatureGradShared(taps), args, dev);
        // Each side's CTA sums, added over the batch and the sequence: [H, 64, 32] and [H·64, 1, R].
        Tensor Summed(Tensor part, int side) => part.select(1, side).sum(new long[] { 0, 1 });
        var dW = gq is null ? Summed(dwPart, 1) : gk is null ? Summed(dwPart, 0) : dwPart.sum(new long[] { 0, 1, 2 });
        var dkp = dxk?.view(b, t, kvHeads, heads / kvHeads, HeadWidth).sum(3).reshape(b, t, (long)kvHeads * HeadWidth);
        return (dxq?.MoveToOuterDisposeScope(), dkp?.MoveToOuterDisposeScope(), gq is null ? null : Summed(dconvPart, 0).unsqueeze(1).MoveToOuterDisposeScope(),
            gk is null ? null : Summed(dconvPart, 1).unsqueeze(1).MoveToOuterDisposeScope(), dW.MoveToOuterDisposeScope());
    }

    /// <summary>Whether <see cref="DecodeStep"/> can project the layer input x [B, 1, C] itself with <paramref name="weights"/>.</summary>
    public static bool TakesProjections(Tensor x, Projections weights, int heads, int kvHeads) =>
        new[] { weights.Q, weights.K, weights.V, weights.QBias, weights.KBias, weights.VBias }.All(w => w is null || w.dtype == x.dtype && w.is_contiguous())
        && x.shape[2] % (x.dtype == ScalarType.BFloat16 ? 8 : 4) == 0 && x.shape[2] * 4 <= DefaultSharedLimit
        && weights.Q.shape[0] == heads * HeadWidth && weights.K.shape[0] == kvHeads * HeadWidth && weights.V.shape[0] == kvHeads * HeadWidth
        && new[] { weights.Q, weights.K, weights.V }.All(w => w.shape[1] == x.shape[2] && CudaNative.DataPointer(w) % 16 == 0);

    /// <summary>Whether <see cref="DecodeStep"/> can compute <paramref name="gate"/> itself for a layer input x [B, 1, C].</summary>
    public static bool TakesGate(Tensor x, LowRankGate gate, int kvHeads) =>
        gate.Down.shape[0] <= MaxGateRank && gate.Down.shape[1] == x.shape[2] && gate.Up.shape[0] == kvHeads * HeadWidth && x.shape[2] * 4 <= DefaultSharedLimit
        && new[] { gate.Down, gate.Up, gate.Bias }.All(w => w is null || w.dtype == ScalarType.Float32 && w.is_contiguous());

    /// <summary>
    /// One decoding step of a layer's linear path in one kernel. The layer input x [B, 1, C] (bf16 or fp32) is projected
    /// with <paramref name="weights"/> (else <paramref name="projected"/> holds qp [B, 1, H·64], kp, vp [B, 1, Hkv·64] in x's
    /// dtype); conv steps on the tails [B, H·64, R − 1] fp32 and the state [B, H, 64, 65] fp32 (both contiguous, updated in
    /// place); Hedgehog projections [H, 64, 32]; log-decays from <paramref name="gate"/> (else <paramref name="g"/>
    /// [B, Hg, 1, 64 or 1], null: no decay) → y [B, 1, H·64] in x's dtype. See <see cref="TakesProjections"/> and <see cref="TakesGate"/>.
    /// </summary>
    public static Tensor DecodeStep(Tensor x, Projections? weights, (Tensor Q, Tensor K, Tensor V)? projected, Tensor convQ, Tensor convK,
        Tensor qTail, Tensor kTail, Tensor featureWeights, LowRankGate? gate, Tensor? g, Tensor state, double scale, double eps, int heads, int kvHeads)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[2];
        var dev = x.device;
        bool bf16 = x.dtype == ScalarType.BFloat16;
        bool ownInput = weights is not null || gate is not null;
        var xc = ownInput ? x.contiguous() : null;
        var (qc, kc, vc) = projected is { } p ? (p.Q.contiguous(), p.K.to(x.dtype).contiguous(), p.V.to(x.dtype).contiguous()) : (null, null, null);
        var (wq, wk, w) = (Fp32(convQ), Fp32(convK), Fp32(featureWeights));
        var gf = gate is null && g is not null ? Decays(g) : null;
        var y = empty(new[] { b, 1L, (long)heads * HeadWidth }, x.dtype, dev);
        var args = new DecodeArgs
        {
            X = P(xc), Wq = P(weights?.Q), Wk = P(weights?.K), Wv = P(weights?.V), Bq = P(weights?.QBias), Bk = P(weights?.KBias), Bv = P(weights?.VBias),
            Qp = P(qc), Kp = P(kc), Vp = P(vc), Cq = P(wq), Ck = P(wk), QTail = P(qTail), KTail = P(kTail), W = P(w), G = P(gf),
            GDown = P(gate?.Down), GUp = P(gate?.Up), GBias = P(gate?.Bias), S = P(state), Y = P(y),
            Xb = xc?.stride(0) ?? 0, C = c, Qpb = qc?.stride(0) ?? 0, Kpb = kc?.stride(0) ?? 0, Vpb = vc?.stride(0) ?? 0,
            Gb = gf?.stride(0) ?? 0, Gh = gf?.stride(1) ?? 0, Yb = y.stride(0), H = heads, Hkv = kvHeads, Hg = gate is not null ? kvHeads : gf?.shape[1] ?? 1,
            Gw = gate is not null ? HeadWidth : gf?.shape[3] ?? 1, R = convQ.shape[2], Rank = gate?.Down.shape[0] ?? 0,
            Scale = (float)scale, Eps = (float)eps, GateScale = gate is null ? 0f : (float)(1 / gate.Normalizer),
        };
        Launch(bf16, HeadWidth, "lawcat_decode", ((uint)heads, (uint)b, 1), ownInput ? (uint)(c * 4) : 0, args, dev, DecodeThreads);
        return y.MoveToOuterDisposeScope();
    }

    /// <summary>Whether <see cref="NormalizedStep"/> takes these inputs (shapes, dtypes, layouts).</summary>
    public static bool SupportsStep(Tensor q, Tensor k, Tensor v, Tensor g, Tensor? state)
    {
        var dtype = q.dtype;
        if (state is not { dtype: ScalarType.Float32 } || dtype is not (ScalarType.BFloat16 or ScalarType.Float32) || k.dtype != dtype || v.dtype != dtype) return false;
        var (qs, ks, vs, gs) = (q.shape, k.shape, v.shape, g.shape);   // one native call each: decoding is launch-bound
        return qs[3] == HeadWidth && ks[3] == HeadWidth && vs[3] <= HeadWidth && qs[1] % vs[1] == 0 && qs[1] % gs[1] == 0
            && (gs[3] == 1 || gs[3] == HeadWidth) && q.stride(3) == 1 && k.stride(3) == 1 && v.stride(3) == 1 && state.is_contiguous();
    }

    /// <summary>
    /// The normalized state update in one kernel: q, k [B, H, 1, 64], v [B, Hv, 1, V], g [B, Hg, 1, 64 or 1], state
    /// [B, H, 64, V + 1] fp32 contiguous (updated in place) → (y [B, H, 1, V] in q's dtype, the state).
    /// </summary>
    public static (Tensor Output, Tensor State) NormalizedStep(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps, Tensor state)
    {
        using var scope = NewDisposeScope();
        var (qs, vs) = (q.shape, v.shape);
        var gf = Decays(g);
        var y = empty(new[] { qs[0], qs[1], 1L, vs[3] }, q.dtype, q.device);
        var args = new StepArgs
        {
            Q = P(q), K = P(k), V = P(v), G = P(gf), S = P(state), Y = P(y),
            Qb = q.stride(0), Qh = q.stride(1), Kb = k.stride(0), Kh = k.stride(1), Vb = v.stride(0), Vh = v.stride(1),
            Gb = gf.stride(0), Gh = gf.stride(1), H = qs[1], Hv = vs[1], Hg = gf.shape[1], Gw = gf.shape[3], Scale = (float)scale, Eps = (float)eps,
        };
        Launch(q.dtype == ScalarType.BFloat16, (int)vs[3], "gla_normalized_step", ((uint)qs[1], (uint)qs[0], 1), 0, args, q.device);
        return (y.MoveToOuterDisposeScope(), state.alias().MoveToOuterDisposeScope());
    }
}
