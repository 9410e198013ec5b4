using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// Runs the workbench's CUDA kernel sources on the CPU (Emulation/cuda_emulation.h): each build is compiled with the
/// system C++ compiler (once per machine and set of inputs: builds are cached by content), with a driver per source (the source's hardware primitives written out where it uses any), into
/// a shared library whose entry point launches a kernel by name on the parameter block the CUDA launcher passes. CPU
/// tensors go in; everything around the launches is the library's own code. What the GPU would refuse (a misaligned
/// access, a divergent barrier, a launch over its shared-memory opt-in, ...) becomes a <see cref="KernelFaultException"/>
/// naming the kernel source line, as a fault would on the GPU.
/// </summary>
sealed class EmulatedKernels : IKernelLauncher
{
    delegate int EmuRun([MarshalAs(UnmanagedType.LPStr)] string name, uint gx, uint gy, uint gz, uint threads, uint sharedBytes, nint args);
    delegate nint EmuError();

    /// <summary>A loaded build; its kernels share global state, so launches on it run one at a time.</summary>
    sealed record Build(EmuRun Run, EmuError Error);

    static readonly ConcurrentDictionary<string, Lazy<Build>> Builds = new();

    /// <summary>Kernel sources (by file name) and the emulator driver that builds each.</summary>
    static readonly Dictionary<string, (string Driver, string Source)> Sources = new()
    {
        ["LawcatKernels.cu"] = ("lawcat_kernels_driver.cpp", Path.Combine(TestPaths.Root, "src", "Lawcat", "Kernels", "Cuda", "LawcatKernels.cu")),
        ["DecoderKernels.cu"] = ("decoder_kernels_driver.cpp", Path.Combine(TestPaths.Root, "src", "Lawcat", "Kernels", "Cuda", "DecoderKernels.cu")),
        ["GlaMmaKernels.cu"] = ("gla_mma_kernels_driver.cpp", Path.Combine(TestPaths.Root, "src", "Lawcat", "Kernels", "Cuda", "GlaMmaKernels.cu")),
        ["faulty_kernels.cu"] = ("faulty_kernels_driver.cpp", Path.Combine(EmulationDir, "faulty_kernels.cu")),
    };

    static string EmulationDir => Path.Combine(TestPaths.Root, "tests", "Lawcat.Tests", "Kernels", "Emulation");

    /// <summary>Dynamic shared memory a launch may take without the module's opt-in (cuFuncSetAttribute).</summary>
    const uint DefaultSharedLimit = 48 * 1024;

    /// <summary>The C++20 compiler (CXX, else g++), as on the CI machines.</summary>
    static string Compiler => Environment.GetEnvironmentVariable("CXX") ?? "g++";

    /// <summary>Multiprocessors the emulated device reports, so sequences are cut into several segments (2 for 8 heads).</summary>
    public int Multiprocessors(Device device) => 8;

    public bool IsGpu => false;

    public bool Runs(Device device) => device.type == TorchSharp.DeviceType.CPU;

    public void Launch(KernelModule module, string kernel, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, object args, Device device)
    {
        // As CudaNative.LoadKernels: a module opts in to its MaxSharedBytes when that exceeds the default limit.
        if (sharedBytes > Math.Max(DefaultSharedLimit, (uint)module.MaxSharedBytes))
            throw new KernelFaultException($"invalid launch of {kernel}: {sharedBytes} bytes of dynamic shared memory, more than the {Math.Max(DefaultSharedLimit, (uint)module.MaxSharedBytes)} its module opts in to");
        var build = Builds.GetOrAdd(module.Key, _ => new Lazy<Build>(() => Load(module))).Value;
        var handle = GCHandle.Alloc(args, GCHandleType.Pinned);
        try
        {
            int rc;
            lock (build) rc = build.Run(kernel, grid.X, grid.Y, grid.Z, threads, sharedBytes, handle.AddrOfPinnedObject());
            if (rc == 1) throw new InvalidOperationException($"the emulator of {module.File} has no kernel {kernel}");
            if (rc == 2) throw new KernelFaultException($"emulated kernel {kernel} ({module.Key}): {Marshal.PtrToStringAnsi(build.Error())}");
        }
        finally { handle.Free(); }
    }

    static readonly string[] Flags = { "-std=c++20", "-O1", "-shared", "-fPIC", "-fsanitize=alignment", "-Wl,-Bsymbolic" };

    /// <summary>
    /// Loads the build of <paramref name="module"/>, compiling it unless a build of the same inputs (compiler, flags,
    /// defines, emulator files and kernel source, by content) is in the machine's cache folder: compiling is most of
    /// what these tests cost, and the sources rarely change between runs.
    /// </summary>
    static Build Load(KernelModule module)
    {
        var (driver, source) = Sources[module.File];
        var args = Flags.Concat(module.Defines).Concat(new[] { $"-DKERNELS_SOURCE=\"{source}\"", "-I", EmulationDir, "-x", "c++", Path.Combine(EmulationDir, driver) }).ToArray();
        var lib = Path.Combine(CacheDir, $"{Path.GetFileNameWithoutExtension(module.File)}-{InputHash(args, source)}.so");
        if (!File.Exists(lib)) Compile(args, lib, module.File);
        var handle = NativeLibrary.Load(lib);
        return new Build(Marshal.GetDelegateForFunctionPointer<EmuRun>(NativeLibrary.GetExport(handle, "emu_run")),
            Marshal.GetDelegateForFunctionPointer<EmuError>(NativeLibrary.GetExport(handle, "emu_error")));
    }

    static string CacheDir => Path.Combine(Path.GetTempPath(), "lawcat-kernel-emulator");

    static string InputHash(string[] args, string source)
    {
        var text = new StringBuilder(Compiler).AppendJoin('\n', args);
        foreach (var f in Directory.GetFiles(EmulationDir).Order().Append(source)) text.Append('\n').Append(f).Append('\n').Append(File.ReadAllText(f));
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..16];
    }

    // Compiles to a private name first, then renames: a concurrent run never loads a half-written library.
    static void Compile(string[] args, string lib, string file)
    {
        Directory.CreateDirectory(CacheDir);
        var temp = lib + "." + Guid.NewGuid().ToString("N")[..8];
        var psi = new ProcessStartInfo(Compiler) { RedirectStandardError = true };
        // -fsanitize=alignment: every typed access checks its alignment; the emulator's handler records the violation.
        foreach (var a in args.Concat(new[] { "-o", temp })) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"{Compiler} could not build the emulator of {file}:\n{err}");
        File.Move(temp, lib, overwrite: true);
    }
}
