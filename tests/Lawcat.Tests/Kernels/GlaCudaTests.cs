using Lawcat.Benchmarks;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// The CUDA kernels against the fp32 recurrence (relative RMSE ≤ 1e-5 fp32, ≤ 5e-3 bf16), and the fused LAWCAT layer
/// against its tensor operations (≤ 5e-3). GPU only: skipped, visibly,
/// where there is no CUDA device (CI); run on the GPU machine with `lawcat bench kernels` (docs/benchmarks.md).
/// </summary>
[Trait("Category", "Kernels")]
public class GlaCudaTests
{
    [SkippableFact]
    public void KernelsMatchTheRecurrenceOnTheGpu()
    {
        Skip.IfNot(cuda.is_available() && GlaCuda.Available, "needs a CUDA device and NVRTC (GPU-only check; see docs/benchmarks.md)");
        var rows = GlaCudaCheck.Run(CUDA).Concat(LawcatKernelsCheck.Run(CUDA)).ToList();
        Assert.All(rows, r => Assert.True(r.Passed, $"{r.Case}: output {r.OutputError:E2}, state {r.StateError:E2}"));
    }
}
