using Lawcat.Kernels.Cuda;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// The fused LAWCAT kernels, their CUDA source run on the CPU by an emulator, against the layer's tensor operations:
/// the same <see cref="LawcatKernelsCheck"/> that <c>lawcat bench kernels</c> runs on a GPU (prefill of a left-padded
/// batch then decoding steps, bf16 and fp32; outputs, states and conv tails within relative RMSE 5e-3, 1e-2 for bf16
/// layers; the normalized step alone within 1e-5 in fp32). Checks the kernels' arithmetic and indexing; speed and GPU
/// specifics are the GPU check's.
/// </summary>
[Trait("Category", "Kernels")]
public class LawcatKernelsEmulationTests(ITestOutputHelper output)
{
    [Fact]
    public void FusedKernelsMatchTheTensorOperations()
    {
        using var _ = LawcatKernels.Use(new EmulatedLawcatKernels());
        var rows = LawcatKernelsCheck.Run(CPU);
        foreach (var r in rows) output.WriteLine($"{r.Case}: {r.OutputError:E2} / {r.StateError:E2}");
        Assert.Equal(14, rows.Count);
        Assert.All(rows, r => Assert.True(r.Passed, $"{r.Case}: {r.OutputError:E2} / {r.StateError:E2} (tolerance {r.Tolerance:E0})"));
    }
}
