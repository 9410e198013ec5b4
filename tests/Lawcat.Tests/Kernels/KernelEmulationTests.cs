using Lawcat.Benchmarks;
using Lawcat.Kernels.Cuda;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// The workbench's CUDA kernels, their source run on the CPU by an emulator. The fused LAWCAT kernels against the layer's
/// tensor operations:
/// the same <see cref="LawcatKernelsCheck"/> that <c>lawcat bench kernels</c> runs on a GPU (prefill of a left-padded
/// batch then decoding steps, bf16 and fp32; outputs, states and conv tails within relative RMSE 5e-3, 1e-2 for bf16
/// layers; the normalized step alone within 1e-5 in fp32; a bf16 layer's training gradients, every new parameter's, within
/// 1e-2). Checks the kernels' arithmetic and indexing; speed and GPU
/// specifics are the GPU check's.
/// </summary>
[Trait("Category", "Kernels")]
public class KernelEmulationTests(ITestOutputHelper output)
{
    [Fact]
    public void FusedKernelsMatchTheTensorOperations() => AllPass(() => LawcatKernelsCheck.Run(CPU, small: true), 20);

    /// <summary>
    /// The tensor-core GLA prefill (GlaMmaKernels.cu; mma.sync, ldmatrix and cp.async written out from the PTX ISA in the
    /// emulator's driver) against the fp32 recurrence: the cases <see cref="GlaCudaCheck.RunTensorCores"/> runs on a GPU, at
    /// a smaller size (4 heads, two segments, lengths 7 to 200, both score paths, shared value heads), within 5e-3.
    /// </summary>
    [Fact]
    public void TensorCoreKernelsMatchTheRecurrence() => AllPass(() => GlaCudaCheck.RunTensorCores(CPU, small: true), 13);

    /// <summary>
    /// The training path's check as <c>lawcat bench kernels</c> runs it on a GPU (<see cref="GlaCudaCheck.RunTraining"/>), its
    /// forward on the emulated tensor-core kernels: outputs, final states and all five gradients within 5e-3.
    /// </summary>
    [Fact]
    public void TrainingPathMatchesAutogradThroughTheRecurrence() => AllPass(() => GlaCudaCheck.RunTraining(CPU, small: true), 16);

    /// <summary>
    /// The decoding step's RMSNorm (alone and after a residual add) and SwiGLU kernels (DecoderKernels.cu) against the
    /// tensor operations, as <see cref="DecoderKernelsCheck"/> runs them on a GPU: bf16 within 1e-3 (the norm's sum of
    /// squares is added in another order), fp32 and SwiGLU within 1e-6.
    /// </summary>
    [Fact]
    public void DecoderKernelsMatchTheTensorOperations() => AllPass(() => DecoderKernelsCheck.Run(CPU), 4);

    /// <summary>Runs a check on the emulated kernels (one torch thread); its <paramref name="count"/> rows must all pass.</summary>
    void AllPass(Func<List<KernelCheckRow>> check, int count)
    {
        using var _ = KernelLaunchers.Use(new EmulatedKernels());
        using var oneThread = new SingleTorchThread();
        var rows = check();
        foreach (var r in rows) output.WriteLine($"{r.Case}: {r.OutputError:E2} / {r.StateError:E2}{(r.Error is null ? "" : " " + r.Error)}");
        Assert.Equal(count, rows.Count);
        Assert.All(rows, r => Assert.True(r.Passed, $"{r.Case}: {r.OutputError:E2} / {r.StateError:E2} (tolerance {r.Tolerance:E0})"));
    }
}
