using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Lawcat.Kernels.Cuda;

/// <summary>
/// A Llama decoder layer's RMSNorm (with the residual add before it) and SwiGLU product in one launch each
/// (DecoderKernels.cu), for decoding steps: there a step's time is its number of launches. Same arithmetic as the tensor
/// operations of <c>Llama.RmsNorm</c> and <c>Llama.LlamaMlp</c>, which are the oracle (the test suite runs the kernels'
/// source emulated on the CPU against them). <see cref="KernelBackend.DecoderStep"/> decides when they run.
/// </summary>
public static class DecoderKernels
{
    const uint NormThreads = 256, Threads = 256;

    [StructLayout(LayoutKind.Sequential)]
    struct NormArgs
    {
        public nint X, Residual, W, Sum, Y;
        public long C;
        public float Eps;
    }

    [StructLayout(LayoutKind.Sequential)]
    struct SwiGluArgs
    {
        public nint G, U, Y;
        public long N;
    }

    /// <summary>Whether the kernels take x (bf16 or fp32, contiguous) with these other tensors of its dtype, contiguous.</summary>
    public static bool Supports(Tensor x, params Tensor[] others) =>
        x.dtype is ScalarType.BFloat16 or ScalarType.Float32 && x.is_contiguous() && others.All(o => o.dtype == x.dtype && o.is_contiguous());

    static KernelModule Module(bool bf16) => new("DecoderKernels.cu", new[] { $"-DIN_BF16={(bf16 ? 1 : 0)}" }, new[] { "rms_norm", "swiglu" }, 0);

    static nint P(Tensor? x) => CudaNative.DataPointer(x);

    /// <summary>
    /// RMSNorm over the last dimension of x [..., C] with weight [C] → (x + residual when <paramref name="residual"/> is
    /// given, else null; the normalized rows), both in x's dtype.
    /// </summary>
    public static (Tensor? Sum, Tensor Normed) RmsNorm(Tensor x, Tensor? residual, Tensor weight, double eps)
    {
        var sum = residual is null ? null : empty_like(x);
        var y = empty_like(x);
        long c = x.shape[^1];
        var args = new NormArgs { X = P(x), Residual = P(residual), W = P(weight), Sum = P(sum), Y = P(y), C = c, Eps = (float)eps };
        KernelLaunchers.Current.Launch(Module(x.dtype == ScalarType.BFloat16), "rms_norm", ((uint)(x.numel() / c), 1, 1), NormThreads, 0, args, x.device);
        return (sum, y);
    }

    /// <summary>silu(g) * u, elementwise, for g and u of one shape.</summary>
    public static Tensor SwiGlu(Tensor g, Tensor u)
    {
        var y = empty_like(g);
        long n = g.numel();
        var args = new SwiGluArgs { G = P(g), U = P(u), Y = P(y), N = n };
        uint blocks = (uint)Math.Min((n + Threads - 1) / Threads, 4096);
        KernelLaunchers.Current.Launch(Module(g.dtype == ScalarType.BFloat16), "swiglu", (blocks, 1, 1), Threads, 0, args, g.device);
        return y;
    }
}
