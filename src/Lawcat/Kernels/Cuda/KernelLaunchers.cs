using System.Collections.Concurrent;
using static TorchSharp.torch;

namespace Lawcat.Kernels.Cuda;

/// <summary>One build of a kernel source: the embedded file (Kernels/Cuda/<paramref name="File"/>), its compile-time defines,
/// the kernels it holds and the most dynamic shared memory any of them takes.</summary>
internal sealed record KernelModule(string File, string[] Defines, string[] Kernels, int MaxSharedBytes)
{
    /// <summary>Identifies the build.</summary>
    public string Key => File + " " + string.Join(" ", Defines);
}

/// <summary>
/// Runs kernels of the workbench's CUDA sources with one parameter block each: on CUDA through NVRTC and the driver API;
/// the test suite runs the same sources on the CPU through an emulator.
/// </summary>
internal interface IKernelLauncher
{
    /// <summary>Whether tensors on <paramref name="device"/> can go to these kernels.</summary>
    bool Runs(Device device);

    /// <summary>How many CTAs run at once per unit of the kernels' occupancy: the multiprocessors of the device.</summary>
    int Multiprocessors(Device device);

    /// <summary>Launches <paramref name="kernel"/> of <paramref name="module"/> on the tensors' memory, ordered with torch's work.</summary>
    void Launch(KernelModule module, string kernel, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, object args, Device device);
}

/// <summary>The launcher in effect: the CUDA one, unless a test put another in place for its async flow.</summary>
internal static class KernelLaunchers
{
    static readonly AsyncLocal<IKernelLauncher?> Override = new();

    /// <summary>The launcher kernels go to here.</summary>
    public static IKernelLauncher Current => Override.Value ?? CudaLauncher.Instance;

    /// <summary>Within the returned scope (this async flow only), kernels go to <paramref name="launcher"/>.</summary>
    public static IDisposable Use(IKernelLauncher launcher)
    {
        var before = Override.Value;
        Override.Value = launcher;
        return new Scope(() => Override.Value = before);
    }
}

/// <summary>Runs an action when disposed (restores what a scope changed).</summary>
internal sealed class Scope(Action end) : IDisposable
{
    /// <inheritdoc/>
    public void Dispose() => end();
}

/// <summary>Kernels compiled to PTX by NVRTC for the device's compute capability, once per build, launched through the driver.</summary>
internal sealed class CudaLauncher : IKernelLauncher
{
    public static readonly CudaLauncher Instance = new();
    static readonly ConcurrentDictionary<(string Key, int Cc), Dictionary<string, nint>> Modules = new();

    public bool Runs(Device device) => device.type == TorchSharp.DeviceType.CUDA && GlaCuda.Available;

    public int Multiprocessors(Device device) => CudaNative.Multiprocessors(Math.Max(device.index, 0));

    public void Launch(KernelModule module, string kernel, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, object args, Device device) =>
        CudaNative.Launch(Functions(module, device)[kernel], grid, threads, sharedBytes, args);

    static string Source(string file)
    {
        using var s = typeof(CudaLauncher).Assembly.GetManifestResourceStream("Lawcat.Kernels." + file)!;
        return new StreamReader(s).ReadToEnd();
    }

    /// <summary>The kernels of <paramref name="module"/> built for <paramref name="device"/>, by name (for kernels with several parameters).</summary>
    public Dictionary<string, nint> Functions(KernelModule module, Device device)
    {
        int cc = CudaNative.ComputeCapability(Math.Max(device.index, 0));
        return Modules.GetOrAdd((module.Key, cc), key =>
        {
            var options = module.Defines.Prepend($"--gpu-architecture=compute_{key.Cc}").ToArray();
            var ptx = CudaNative.CompileToPtx(Source(module.File), module.File, options);
            return CudaNative.LoadKernels(ptx, module.Kernels, module.MaxSharedBytes);
        });
    }
}
