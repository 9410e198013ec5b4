using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Lawcat.Kernels.Cuda;

/// <summary>
/// Gated linear attention prefill on tensor cores (GlaMmaKernels.cu: bf16 operands, fp32 accumulation and state),
/// optionally normalized as LAWCAT normalizes (a ones column through the recurrence, y = o[:V] / (o[V] + eps), the
/// division in fp32). For bf16 inputs with key width 64 on CUDA, without gradients. Each sequence is cut into as many
/// segments as fill the GPU once; one kernel sums what each segment adds to the state, the next walks each segment's
/// chunks with the state in registers. Per-chunk states never reach device memory, gates are read once per gate head
/// (LAWCAT's gate is shared by the query heads of a group) and q, k, v, y may be strided views, so the layer's
/// [B, T, H, D] tensors go in and out without copies. <see cref="GatedLinearAttention"/>'s tensor forms are the oracle.
/// </summary>
public static class GlaMma
{
    const int KeyWidth = 64, Chunk = 64, BfPitch = 72, GatePitch = 72;

    /// <summary>The kernel's parameter block (struct GlaArgs in GlaMmaKernels.cu), field for field.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct Args
    {
        public nint Q, K, V, Gc, O, U, Dsum, S0, Final;
        public long Qb, Qh, Qt, Kb, Kh, Kt, Vb, Vh, Vt, Ob, Oh, Ot;
        public long T, H, Hv, Hg, N, Cps, Seg;
        public float Scale, Eps;
    }

    /// <summary>struct CumsumArgs in GlaMmaKernels.cu.</summary>
    [StructLayout(LayoutKind.Sequential)]
    struct CumsumArgs
    {
        public nint G, Gc;
        public long Gb, Gh, Gt, T, Hg, N;
    }

    /// <summary>
    /// Whether the kernels take these inputs: bf16 q/k/v, key width 64, value width a multiple of 8 up to 64, at least one
    /// token, query heads a multiple of the value and gate heads.
    /// </summary>
    public static bool Supports(Tensor q, Tensor k, Tensor v, Tensor g) =>
        q.dtype == ScalarType.BFloat16 && k.dtype == ScalarType.BFloat16 && v.dtype == ScalarType.BFloat16
        && q.shape[3] == KeyWidth && k.shape[3] == KeyWidth && v.shape[3] % 8 == 0 && v.shape[3] <= 64 && q.shape[2] > 0
        && q.shape[1] % g.shape[1] == 0 && q.shape[1] % v.shape[1] == 0;

    static (int Vs, int Vp, int Pitch) Widths(int v, bool normalize)
    {
        int vs = v + (normalize ? 1 : 0), vp = (vs + 7) / 8 * 8;
        return (vs, vp, vp / 8 % 2 == 1 ? vp : vp + 8);
    }

    static int StageBytes(int pitch, bool withQ) => (withQ ? Chunk * BfPitch * 2 : 0) + Chunk * BfPitch * 2 + Chunk * pitch * 2 + Chunk * GatePitch * 4;
    static int SegmentShared(int pitch) => 2 * StageBytes(pitch, false);
    static int OutputShared(int pitch) => 2 * StageBytes(pitch, true) + Chunk * BfPitch * 2 + KeyWidth * pitch * 2;

    static KernelModule Module(int v, bool normalize) => new("GlaMmaKernels.cu", new[] { $"-DVD={v}", $"-DNORM={(normalize ? 1 : 0)}" },
        new[] { "gla_mma_cumsum", "gla_mma_segment", "gla_mma_output" }, OutputShared(Widths(v, normalize).Pitch));

    // cp.async moves 16-byte pieces: rows must start on 16-byte boundaries.
    static Tensor Aligned(Tensor x) =>
        x.stride(3) == 1 && CudaNative.DataPointer(x) % 16 == 0 && x.stride(0) % 8 == 0 && x.stride(1) % 8 == 0 && x.stride(2) % 8 == 0 ? x : x.contiguous();

    /// <summary>
    /// q, k [B, H, T, 64], v [B, Hv, T, V] bf16 (strided views allowed), g [B, Hg, T, 64 or 1] log-decays, with H a
    /// multiple of Hv and Hg (head h uses value head h / (H / Hv) and gate head h / (H / Hg), as GQA shares them),
    /// initial state [B, H, 64, V(+1)] or null →
    /// (o [B, H, T, V] bf16, a view of a [B, T, H, V] tensor; final state [B, H, 64, V(+1)] fp32). With
    /// <paramref name="normalizeEps"/>, the values are extended by a ones column and o = num / (den + eps).
    /// </summary>
    public static (Tensor Output, Tensor FinalState) Forward(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? initialState, double? normalizeEps)
    {
        using var scope = NewDisposeScope();
        var launcher = KernelLaunchers.Current;
        var (b, h, t) = (q.shape[0], q.shape[1], q.shape[2]);
        int vd = (int)v.shape[3];
        bool norm = normalizeEps is not null;
        var (vs, vp, pitch) = Widths(vd, norm);
        long hg = g.shape[1], n = (t + Chunk - 1) / Chunk, bh = b * h;
        var dev = q.device;
        var module = Module(vd, norm);
        // Two output CTAs fit on a multiprocessor: as many segments as fill the GPU once.
        long seg = Math.Clamp(2L * launcher.Multiprocessors(dev) / bh, 1, n);
        long cps = (n + seg - 1) / seg;
        seg = (n + cps - 1) / cps;
        var (qa, ka, va) = (Aligned(q), Aligned(k), Aligned(v));
        var gf = g.to(ScalarType.Float32);
        if (gf.stride(3) != 1 || gf.shape[3] != KeyWidth) gf = gf.expand(b, hg, t, KeyWidth).contiguous();
        var gc = empty(new[] { b * hg, t, KeyWidth }, ScalarType.Float32, dev);
        var o = empty(new[] { b, t, h, (long)vd }, ScalarType.BFloat16, dev).transpose(1, 2);     // [B, H, T, V] view
        var u = empty(new[] { bh, seg, KeyWidth, vp }, ScalarType.Float32, dev);
        var dsum = empty(new[] { bh, seg, KeyWidth }, ScalarType.Float32, dev);
        var final = empty(new[] { b, h, KeyWidth, (long)vs }, ScalarType.Float32, dev);
        var s0 = initialState?.to(ScalarType.Float32).contiguous();
        nint P(Tensor x) => CudaNative.DataPointer(x);
        var cumsum = new CumsumArgs { G = P(gf), Gc = P(gc), Gb = gf.stride(0), Gh = gf.stride(1), Gt = gf.stride(2), T = t, Hg = hg, N = n };
        launcher.Launch(module, "gla_mma_cumsum", ((uint)((n + 3) / 4), (uint)(b * hg), 1), 256, 0, cumsum, dev);
        var args = new Args
        {
            Q = P(qa), K = P(ka), V = P(va), Gc = P(gc), O = P(o), U = P(u), Dsum = P(dsum), S0 = s0 is null ? 0 : P(s0), Final = P(final),
            Qb = qa.stride(0), Qh = qa.stride(1), Qt = qa.stride(2), Kb = ka.stride(0), Kh = ka.stride(1), Kt = ka.stride(2),
            Vb = va.stride(0), Vh = va.stride(1), Vt = va.stride(2), Ob = o.stride(0), Oh = o.stride(1), Ot = o.stride(2),
            T = t, H = h, Hv = v.shape[1], Hg = hg, N = n, Cps = cps, Seg = seg, Scale = (float)scale, Eps = (float)(normalizeEps ?? 0),
        };
        if (seg > 1) launcher.Launch(module, "gla_mma_segment", ((uint)(seg - 1), (uint)bh, 1), 128, (uint)SegmentShared(pitch), args, dev);
        launcher.Launch(module, "gla_mma_output", ((uint)seg, (uint)bh, 1), 128, (uint)OutputShared(pitch), args, dev);
        return (o.MoveToOuterDisposeScope(), final.MoveToOuterDisposeScope());
    }
}
