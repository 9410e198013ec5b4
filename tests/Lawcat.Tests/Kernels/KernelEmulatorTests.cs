using System.Runtime.InteropServices;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// The CPU emulator of the CUDA kernels refuses what a GPU refuses: each kernel of Emulation/faulty_kernels.cu breaks one
/// rule (alignment of vector accesses, ldmatrix rows and cp.async, convergence of warp collectives and barriers, shared
/// memory bounds, launch limits) and must be reported with its source file; the *_ok kernels follow the rules and must
/// run and compute the right values; uninitialized shared memory and copies read before their wait read NaN.
/// </summary>
[Trait("Category", "Kernels")]
public class KernelEmulatorTests
{
    [StructLayout(LayoutKind.Sequential)]
    struct FaultArgs
    {
        public nint Out, In;
    }

    static readonly KernelModule Faulty = new("faulty_kernels.cu", Array.Empty<string>(), Array.Empty<string>(), 0);

    /// <summary>Runs <paramref name="kernel"/> on one CTA of 64 threads; in = 0, 1, 2, ... (72 floats); returns out (64 floats).</summary>
    static float[] Launch(string kernel, uint sharedBytes = 256, uint gridY = 1)
    {
        using var scope = NewDisposeScope();
        var input = arange(72, ScalarType.Float32);
        var output = full(64, -1f);
        var args = new FaultArgs { Out = CudaNative.DataPointer(output), In = CudaNative.DataPointer(input) };
        new EmulatedKernels().Launch(Faulty, kernel, (1, gridY, 1), 64, sharedBytes, args, CPU);
        return output.data<float>().ToArray();
    }

    [Theory]
    [InlineData("vector_load_misaligned", "misaligned address: reference to 'const struct float4'")]
    [InlineData("vector_store_misaligned", "misaligned address: store to 'struct float2'")]
    [InlineData("ldmatrix_misaligned", "not 16-byte aligned (misaligned address)")]
    [InlineData("cp_async_misaligned", "misaligned address: cp.async source")]
    [InlineData("shuffle_divergent", "(divergent)")]
    [InlineData("barrier_skipped", "deadlock: __syncthreads")]
    [InlineData("shared_overrun", "a write past the 256 bytes of dynamic shared memory")]
    public void BrokenRulesAreReportedWithTheSourceLine(string kernel, string expected)
    {
        var e = Assert.Throws<KernelFaultException>(() => Launch(kernel, kernel.StartsWith("ldmatrix") ? 16 * 72 * 2u : 256));
        Assert.Contains(expected, e.Message);
        Assert.Contains(kernel, e.Message);
        if (kernel != "shared_overrun") Assert.Matches(@"faulty_kernels\.cu:\d+", e.Message);
    }

    [Fact]
    public void LaunchLimitsAreEnforced()
    {
        Assert.Contains("more than the 49152 its module opts in to", Assert.Throws<KernelFaultException>(() => Launch("vector_load_ok", sharedBytes: 64 * 1024)).Message);
        Assert.Contains("invalid launch: grid (1, 70000, 1)", Assert.Throws<KernelFaultException>(() => Launch("vector_load_ok", gridY: 70000)).Message);
    }

    [Fact]
    public void KernelsThatFollowTheRulesRunExactly()
    {
        var vector = Launch("vector_load_ok");
        Assert.Equal(Enumerable.Range(0, 64).Select(t => (float)(16 * (t % 8) + 6)), vector);   // in[4j] + ... + in[4j + 3]
        var copied = Launch("cp_async_ok");
        Assert.Equal(Enumerable.Range(0, 64).Select(t => (float)t), copied);
        // ldmatrix .x4 without .trans: lane l gets row l/4 of matrix 0, columns 2(l%4), 2(l%4)+1; the tile holds its indices.
        var rows = Launch("ldmatrix_ok", 16 * 72 * 2);
        Assert.Equal(Enumerable.Range(0, 64).Select(t => (float)(t % 32 / 4 * 72 + 2 * (t % 4))), rows);
    }

    [Fact]
    public void UninitializedSharedMemoryReadsAsNaN()
    {
        Assert.All(Launch("shared_uninitialized"), x => Assert.True(float.IsNaN(x)));
        Assert.True(float.IsNaN(Launch("cp_async_read_before_wait")[0]), "a cp.async destination read before cp.async.wait_group must not hold the data yet");
    }
}
