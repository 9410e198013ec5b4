using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Kernels.Cuda;

/// <summary>
/// Gated linear attention forward on CUDA with the workbench's own kernels (GlaKernels.cu, compiled at run time with
/// NVRTC, launched through the driver API on the tensors' memory): three kernels for a prefill of any length, one for a
/// decoding step. Inference only (no autograd); <see cref="KernelBackend"/> decides when they run, and
/// <see cref="GatedLinearAttention"/>'s tensor forms are the fallback and the oracle these kernels are checked against.
/// </summary>
public static class GlaCuda
{
    const int Threads = 256;

    static bool? _available;

    /// <summary>Whether NVRTC and the CUDA driver can be loaded here.</summary>
    public static bool Available => _available ??= CudaNative.Available;

    /// <summary>Whether the kernels take these inputs: q, k, g [B, H, T, K] with g's heads and width those of q, v [B, H, T, V].</summary>
    public static bool Supports(Tensor q, Tensor k, Tensor v, Tensor g) =>
        k.shape[1] == q.shape[1] && v.shape[1] == q.shape[1] && g.shape[1] == q.shape[1] && (g.shape[3] == q.shape[3] || g.shape[3] == 1);

    static int SharedBytes(int k, int v, int chunk)
    {
        int maxd = Math.Max(k, v), p = maxd % 2 == 0 ? maxd + 1 : maxd;
        return 4 * (2 * chunk * p + chunk * (chunk + 1) + Math.Max(k, chunk) * p);
    }

    static Dictionary<string, nint> Kernels(int k, int v, int chunk, bool bf16, Device device) => CudaLauncher.Instance.Functions(
        new KernelModule("GlaKernels.cu", new[] { $"-DKD={k}", $"-DVD={v}", $"-DCH={chunk}", $"-DIN_BF16={(bf16 ? 1 : 0)}" },
            new[] { "gla_chunk_state", "gla_scan", "gla_chunk_output", "gla_step" }, SharedBytes(k, v, chunk)), device);

    static (Tensor Q, Tensor K, Tensor V, bool Bf16) Inputs(Tensor q, Tensor k, Tensor v)
    {
        bool bf16 = q.dtype == ScalarType.BFloat16 && k.dtype == ScalarType.BFloat16 && v.dtype == ScalarType.BFloat16;
        var t = bf16 ? ScalarType.BFloat16 : ScalarType.Float32;
        return (q.to(t).contiguous(), k.to(t).contiguous(), v.to(t).contiguous(), bf16);
    }

    /// <summary>
    /// The prefill form: q, k, g [B, H, T, K], v [B, H, T, V], initial state [B, H, K, V] (or null) →
    /// (o [B, H, T, V] in q's dtype, final state [B, H, K, V] fp32). Same contract as <see cref="GatedLinearAttention.Chunked"/>.
    /// </summary>
    public static (Tensor Output, Tensor FinalState) Forward(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? initialState,
        int chunkSize = GatedLinearAttention.DefaultChunkSize)
    {
        using var scope = NewDisposeScope();
        var (b, h, t, kd, vd) = (q.shape[0], q.shape[1], q.shape[2], (int)q.shape[3], (int)v.shape[3]);
        var (qc, kc, vc, bf16) = Inputs(q, k, v);
        var gc = g.to(ScalarType.Float32).expand(q.shape).contiguous();
        var kernels = Kernels(kd, vd, chunkSize, bf16, q.device);
        long bh = b * h, n = (t + chunkSize - 1) / chunkSize, total = bh * kd * vd;
        var u = empty(new[] { bh, n, kd, vd }, ScalarType.Float32, q.device);
        var d = empty(new[] { bh, n, kd }, ScalarType.Float32, q.device);
        var states = empty(new[] { bh, n, kd, vd }, ScalarType.Float32, q.device);
        var final = empty(new[] { b, h, (long)kd, vd }, ScalarType.Float32, q.device);
        var o = empty(new[] { b, h, t, (long)vd }, ScalarType.Float32, q.device);
        var s0 = initialState?.to(ScalarType.Float32).contiguous();
        uint shared = (uint)SharedBytes(kd, vd, chunkSize);
        nint P(Tensor x) => CudaNative.DataPointer(x);
        CudaNative.Launch(kernels["gla_chunk_state"], ((uint)n, (uint)bh, 1), Threads, shared, P(kc), P(vc), P(gc), P(u), P(d), (int)t, (int)n);
        CudaNative.Launch(kernels["gla_scan"], ((uint)((total + Threads - 1) / Threads), 1, 1), Threads, 0,
            P(u), P(d), s0 is null ? (nint)0 : P(s0), P(states), P(final), (int)n, total, s0 is null ? 0 : 1);
        CudaNative.Launch(kernels["gla_chunk_output"], ((uint)n, (uint)bh, 1), Threads, shared,
            P(qc), P(kc), P(vc), P(gc), P(states), P(o), (float)scale, (int)t, (int)n, (float)GatedLinearAttention.FactoredScoresMaxDecay);
        return (o.to(q.dtype).MoveToOuterDisposeScope(), final.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// One decoding step in one kernel: q, k, g [B, H, 1, K], v [B, H, 1, V], state [B, H, K, V] fp32 (updated in place
    /// when it is already contiguous fp32). With <paramref name="normalizeEps"/>, columns before the last are divided by
    /// the last (LAWCAT's denominator) plus eps. Returns (o [B, H, 1, V] in q's dtype, the new state fp32).
    /// </summary>
    public static (Tensor Output, Tensor State) Step(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? state, double? normalizeEps = null)
    {
        using var scope = NewDisposeScope();
        var (b, h, kd, vd) = (q.shape[0], q.shape[1], (int)q.shape[3], (int)v.shape[3]);
        var (qc, kc, vc, bf16) = Inputs(q, k, v);
        var gc = g.to(ScalarType.Float32).expand(q.shape).contiguous();
        var s = state is { dtype: ScalarType.Float32 } && state.is_contiguous() ? state.alias()
            : state?.to(ScalarType.Float32).contiguous() ?? zeros(new[] { b, h, (long)kd, vd }, ScalarType.Float32, q.device);
        var o = empty(new[] { b, h, 1L, vd }, ScalarType.Float32, q.device);
        var kernels = Kernels(kd, vd, GatedLinearAttention.DefaultChunkSize, bf16, q.device);
        nint P(Tensor x) => CudaNative.DataPointer(x);
        CudaNative.Launch(kernels["gla_step"], ((uint)(b * h), 1, 1), (uint)Math.Min(Threads, Math.Max(32, (vd + 31) / 32 * 32)), 0,
            P(qc), P(kc), P(vc), P(gc), P(s), P(o), (float)scale, (float)(normalizeEps ?? 0), normalizeEps is null ? 0 : 1);
        return (o.to(q.dtype).MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
    }
}
