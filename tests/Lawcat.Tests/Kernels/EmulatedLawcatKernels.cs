using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// Runs the fused LAWCAT kernels' CUDA source on the CPU (Emulation/cuda_emulation.h): each build variant is compiled
/// once with the system C++ compiler into a shared library whose entry point launches a kernel by name on the same
/// parameter block the CUDA launcher passes. Lets CPU tests put <see cref="LawcatKernels"/> and the layer's fused path
/// against the tensor operations.
/// </summary>
sealed class EmulatedLawcatKernels : ILawcatKernelLauncher
{
    delegate int EmuRun([MarshalAs(UnmanagedType.LPStr)] string name, uint gx, uint gy, uint gz, uint threads, nint args);

    static readonly ConcurrentDictionary<(bool Bf16, int V), EmuRun> Builds = new();

    /// <summary>Whether a C++20 compiler is on PATH (the tests need one, as CI machines have).</summary>
    public static string Compiler => Environment.GetEnvironmentVariable("CXX") ?? "g++";

    public bool Runs(Device device) => device.type == TorchSharp.DeviceType.CPU;

    public void Launch(bool bf16, int v, string kernel, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, object args, Device device)
    {
        var run = Builds.GetOrAdd((bf16, v), key => Build(key.Bf16, key.V));
        var handle = GCHandle.Alloc(args, GCHandleType.Pinned);
        try
        {
            if (run(kernel, grid.X, grid.Y, grid.Z, threads, handle.AddrOfPinnedObject()) != 0) throw new InvalidOperationException($"the emulator has no kernel {kernel}");
        }
        finally { handle.Free(); }
    }

    static EmuRun Build(bool bf16, int v)
    {
        var dir = Path.Combine(TestPaths.Root, "tests", "Lawcat.Tests", "Kernels", "Emulation");
        var source = Path.Combine(TestPaths.Root, "src", "Lawcat", "Kernels", "Cuda", "LawcatKernels.cu");
        var lib = Path.Combine(TestPaths.NewTempDir(), $"lawcat-kernels-{(bf16 ? "bf16" : "fp32")}-{v}.so");
        var psi = new ProcessStartInfo(Compiler)
        {
            ArgumentList = { "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread", $"-DIN_BF16={(bf16 ? 1 : 0)}", $"-DVD={v}",
                $"-DLAWCAT_KERNELS=\"{source}\"", "-I", dir, "-x", "c++", Path.Combine(dir, "lawcat_kernels_driver.cpp"), "-o", lib },
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Compiler} could not build the kernel emulator:\n{err}");
        return Marshal.GetDelegateForFunctionPointer<EmuRun>(NativeLibrary.GetExport(NativeLibrary.Load(lib), "emu_run"));
    }
}
