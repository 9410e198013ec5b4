using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// Runs the workbench's CUDA kernel sources on the CPU (Emulation/cuda_emulation.h): each build is compiled once with the
/// system C++ compiler, with a driver per source (the source's hardware primitives written out where it uses any), into
/// a shared library whose entry point launches a kernel by name on the parameter block the CUDA launcher passes. CPU
/// tensors go in; everything around the launches is the library's own code.
/// </summary>
sealed class EmulatedKernels : IKernelLauncher
{
    delegate int EmuRun([MarshalAs(UnmanagedType.LPStr)] string name, uint gx, uint gy, uint gz, uint threads, nint args);

    static readonly ConcurrentDictionary<string, EmuRun> Builds = new();
    static readonly Dictionary<string, string> Drivers = new()
    {
        ["LawcatKernels.cu"] = "lawcat_kernels_driver.cpp",
        ["GlaMmaKernels.cu"] = "gla_mma_kernels_driver.cpp",
    };

    /// <summary>The C++20 compiler (CXX, else g++), as on the CI machines.</summary>
    static string Compiler => Environment.GetEnvironmentVariable("CXX") ?? "g++";

    /// <summary>Multiprocessors the emulated device reports, so sequences are cut into several segments.</summary>
    public int Multiprocessors(Device device) => 4;

    public bool IsGpu => false;

    public bool Runs(Device device) => device.type == TorchSharp.DeviceType.CPU;

    public void Launch(KernelModule module, string kernel, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, object args, Device device)
    {
        var run = Builds.GetOrAdd(module.Key, _ => Build(module));
        var handle = GCHandle.Alloc(args, GCHandleType.Pinned);
        try
        {
            if (run(kernel, grid.X, grid.Y, grid.Z, threads, handle.AddrOfPinnedObject()) != 0) throw new InvalidOperationException($"the emulator of {module.File} has no kernel {kernel}");
        }
        finally { handle.Free(); }
    }

    static EmuRun Build(KernelModule module)
    {
        var dir = Path.Combine(TestPaths.Root, "tests", "Lawcat.Tests", "Kernels", "Emulation");
        var source = Path.Combine(TestPaths.Root, "src", "Lawcat", "Kernels", "Cuda", module.File);
        var lib = Path.Combine(TestPaths.NewTempDir(), Path.GetFileNameWithoutExtension(module.File) + ".so");
        var psi = new ProcessStartInfo(Compiler) { RedirectStandardError = true };
        foreach (var a in new[] { "-std=c++20", "-O1", "-shared", "-fPIC", "-pthread" }.Concat(module.Defines)) psi.ArgumentList.Add(a);
        foreach (var a in new[] { $"-DKERNELS_SOURCE=\"{source}\"", "-I", dir, "-x", "c++", Path.Combine(dir, Drivers[module.File]), "-o", lib }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Compiler} could not build the emulator of {module.File}:\n{err}");
        return Marshal.GetDelegateForFunctionPointer<EmuRun>(NativeLibrary.GetExport(NativeLibrary.Load(lib), "emu_run"));
    }
}
