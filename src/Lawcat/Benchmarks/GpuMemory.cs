using System.Runtime.InteropServices;

namespace Lawcat.Benchmarks;

/// <summary>
/// Device memory in use, read from the CUDA driver (cuMemGetInfo). TorchSharp exposes no allocator statistics and
/// libtorch's caching allocator keeps what it has reserved, so "used now minus used at start" is the process's
/// reserved high-water mark: with lengths run in ascending order it is the peak for the length just run.
/// </summary>
public static class GpuMemory
{
    [DllImport("libcuda.so.1", EntryPoint = "cuMemGetInfo_v2")]
    static extern int CuMemGetInfo(out nuint free, out nuint total);

    /// <summary>Bytes in use on the current device (all processes), or null without a CUDA driver.</summary>
    public static long? UsedBytes()
    {
        try
        {
            return CuMemGetInfo(out var free, out var total) == 0 ? (long)(total - free) : null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }
}
