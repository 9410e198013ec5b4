using Lawcat.Kernels.Cuda;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Benchmarks;

/// <summary>
/// Checks <see cref="DecoderKernels"/> against the tensor operations they stand for: Llama's <see cref="RmsNorm"/> on a
/// prompt (the tensor path) and SwiGLU as <see cref="LlamaMlp"/> computes it, on rows of Llama-3.2-1B's widths (2,048 and
/// 8,192), bf16 and fp32. The norm alone and after a residual add (sum and normed rows), relative RMSE ≤ 1e-3 in bf16 (its
/// sum of squares is added in another order, which can move a value by one bf16 step) and ≤ 1e-6 in fp32; the SwiGLU
/// product ≤ 1e-6 (it rounds where torch rounds: expected exact). Needs a device the kernels run on.
/// </summary>
public static class DecoderKernelsCheck
{
    const long Rows = 4, Hidden = 2048, Intermediate = 8192;

    /// <summary>Runs every case on <paramref name="device"/>.</summary>
    public static List<KernelCheckRow> Run(Device device) => KernelCheck.Run(Cases(device));

    /// <summary>Every case, to run with <see cref="KernelCheck.Run"/>.</summary>
    public static IEnumerable<KernelCheck.Case> Cases(Device device)
    {
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float32 })
        {
            yield return One($"rms_norm {dtype}: alone / after a residual add", () => Norm(device, dtype));
            yield return One($"swiglu {dtype}", () => SwiGlu(device, dtype));
        }
    }

    static KernelCheck.Case One(string name, Func<KernelCheckRow> run) => new(name, () => new[] { run() with { Case = name } });

    static KernelCheckRow Norm(Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        using var norm = new RmsNorm(Hidden, 1e-5, device, dtype);
        var weight = norm.parameters().Single();
        using (no_grad()) weight.copy_(rand(Hidden, device: device).Plus(0.5));
        var (h, x) = (randn(Rows, 1, Hidden, device: device).to(dtype), randn(Rows, 1, Hidden, device: device).Times(3).to(dtype));
        Tensor Prompt(Tensor rows) => rows.view(1, Rows, Hidden);                          // one sequence of Rows tokens: the tensor path
        var alone = norm.forward(Prompt(x)).view(Rows, 1, Hidden);
        var (sum, normed) = norm.AddAndNorm(Prompt(h), Prompt(x));
        var kernelAlone = DecoderKernels.RmsNorm(x, null, weight, 1e-5).Normed;
        var (kernelSum, kernelNormed) = DecoderKernels.RmsNorm(h, x, weight, 1e-5);
        double afterAdd = Math.Max(KernelCheck.Rmse(sum.view(Rows, 1, Hidden), kernelSum!), KernelCheck.Rmse(normed.view(Rows, 1, Hidden), kernelNormed));
        return new KernelCheckRow("", KernelCheck.Rmse(alone, kernelAlone), afterAdd, dtype == ScalarType.BFloat16 ? 1e-3 : 1e-6);
    }

    static KernelCheckRow SwiGlu(Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var (g, u) = (randn(Rows, 1, Intermediate, device: device).Times(3).to(dtype), randn(Rows, 1, Intermediate, device: device).to(dtype));
        var reference = nn.functional.silu(g) * u;
        double error = KernelCheck.Rmse(reference, DecoderKernels.SwiGlu(g, u));
        return new KernelCheckRow("", error, error, 1e-6);
    }
}
