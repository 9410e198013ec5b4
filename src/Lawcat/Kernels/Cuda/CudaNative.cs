using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Lawcat.Kernels.Cuda;

/// <summary>
/// The CUDA driver API, NVRTC and TorchSharp's tensor data pointer, bound at run time. NVRTC comes with the CUDA
/// runtime of a PyTorch install (or a CUDA toolkit); libcuda with the driver. Nothing here is touched on a CPU-only run.
/// </summary>
static class CudaNative
{
    static readonly Lazy<nint> Nvrtc = new(() => Load("nvrtc", new[] { "libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so.11.2", "libnvrtc.so", "nvrtc64_130_0.dll", "nvrtc64_120_0.dll" }));
    static readonly Lazy<nint> Driver = new(() => Load("the CUDA driver", new[] { "libcuda.so.1", "libcuda.so", "nvcuda.dll" }));
    static readonly Lazy<nint> Shim = new(() => Load("LibTorchSharp", new[] { "libLibTorchSharp.so", "LibTorchSharp.dll", "libLibTorchSharp.dylib" }, typeof(Tensor).Assembly));

    static nint Load(string what, string[] names, Assembly? near = null)
    {
        var dirs = new List<string?> { null };
        if (near is not null) dirs.Add(Path.GetDirectoryName(near.Location));
        dirs.Add(AppContext.BaseDirectory);
        foreach (var dir in dirs)
            foreach (var name in names)
                if (NativeLibrary.TryLoad(dir is null ? name : Path.Combine(dir, name), out var h)) return h;
        throw new LawcatException($"{what} was not found (tried {string.Join(", ", names)}); put its folder on LD_LIBRARY_PATH.");
    }

    static readonly ConcurrentDictionary<(nint Lib, string Name), Delegate> Delegates = new();

    // Resolved once per function: a delegate built per call would cost more than the launches it wraps.
    static T Fn<T>(Lazy<nint> lib, string name) where T : Delegate =>
        (T)Delegates.GetOrAdd((lib.Value, name), key => Marshal.GetDelegateForFunctionPointer<T>(NativeLibrary.GetExport(key.Lib, key.Name)));

    /// <summary>Whether NVRTC and the driver can be loaded.</summary>
    public static bool Available
    {
        get
        {
            try { _ = Nvrtc.Value; _ = Driver.Value; return true; }
            catch (LawcatException) { return false; }
        }
    }

    // NVRTC
    delegate int NvrtcCreateProgram(out nint prog, string src, string name, int numHeaders, nint headers, nint includeNames);
    delegate int NvrtcCompileProgram(nint prog, int numOptions, string[] options);
    delegate int NvrtcGetSize(nint prog, out nuint size);
    delegate int NvrtcGetBytes(nint prog, byte[] buffer);
    delegate int NvrtcDestroyProgram(ref nint prog);
    delegate int NvrtcVersion(out int major, out int minor);

    /// <summary>NVRTC's version.</summary>
    public static (int Major, int Minor) NvrtcVersionNumber()
    {
        Check(Fn<NvrtcVersion>(Nvrtc, "nvrtcVersion")(out var major, out var minor), "nvrtcVersion");
        return (major, minor);
    }

    /// <summary>Compiles CUDA C++ to PTX; compile errors become a <see cref="LawcatException"/> with NVRTC's log.</summary>
    public static byte[] CompileToPtx(string source, string name, string[] options)
    {
        Check(Fn<NvrtcCreateProgram>(Nvrtc, "nvrtcCreateProgram")(out var prog, source, name, 0, 0, 0), "nvrtcCreateProgram");
        try
        {
            int rc = Fn<NvrtcCompileProgram>(Nvrtc, "nvrtcCompileProgram")(prog, options.Length, options);
            if (rc != 0) throw new LawcatException($"NVRTC could not compile {name}:\n{Text(prog, "nvrtcGetProgramLogSize", "nvrtcGetProgramLog")}");
            var ptx = Bytes(prog, "nvrtcGetPTXSize", "nvrtcGetPTX");
            return ptx;
        }
        finally { Fn<NvrtcDestroyProgram>(Nvrtc, "nvrtcDestroyProgram")(ref prog); }
    }

    static byte[] Bytes(nint prog, string sizeFn, string getFn)
    {
        Fn<NvrtcGetSize>(Nvrtc, sizeFn)(prog, out var size);
        var buf = new byte[(int)size];
        Fn<NvrtcGetBytes>(Nvrtc, getFn)(prog, buf);
        return buf;
    }

    static string Text(nint prog, string sizeFn, string getFn) => System.Text.Encoding.UTF8.GetString(Bytes(prog, sizeFn, getFn)).TrimEnd('\0');

    // Driver
    delegate int CuModuleLoadData(out nint module, byte[] image);
    delegate int CuModuleGetFunction(out nint function, nint module, string name);
    delegate int CuFuncSetAttribute(nint function, int attribute, int value);
    delegate int CuLaunchKernel(nint f, uint gx, uint gy, uint gz, uint bx, uint by, uint bz, uint sharedBytes, nint stream, nint[] args, nint extra);
    delegate int CuGetErrorString(int error, out nint text);
    delegate int CuDeviceGetAttribute(out int value, int attribute, int device);

    const int MaxDynamicSharedBytes = 8;           // CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES
    const int ComputeCapabilityMajor = 75, ComputeCapabilityMinor = 76;

    /// <summary>The compute capability of device <paramref name="device"/> (e.g. 90 for an H100).</summary>
    public static int ComputeCapability(int device) => Attribute(device, ComputeCapabilityMajor) * 10 + Attribute(device, ComputeCapabilityMinor);

    /// <summary>Loads PTX into the current context and returns the named kernels.</summary>
    public static Dictionary<string, nint> LoadKernels(byte[] ptx, IEnumerable<string> names, int dynamicSharedBytes)
    {
        Check(Fn<CuModuleLoadData>(Driver, "cuModuleLoadData")(out var module, ptx), "cuModuleLoadData");
        var result = new Dictionary<string, nint>();
        foreach (var n in names)
        {
            Check(Fn<CuModuleGetFunction>(Driver, "cuModuleGetFunction")(out var f, module, n), $"cuModuleGetFunction({n})");
            KernelNames[f] = n;
            if (dynamicSharedBytes > 48 * 1024) Check(Fn<CuFuncSetAttribute>(Driver, "cuFuncSetAttribute")(f, MaxDynamicSharedBytes, dynamicSharedBytes), "cuFuncSetAttribute");
            result[n] = f;
        }
        return result;
    }

    static readonly ConcurrentDictionary<nint, string> KernelNames = new();
    static readonly AsyncLocal<bool> SynchronizeLaunches = new();

    /// <summary>
    /// Within the returned scope (this async flow only), every launch waits for its kernel, so that a fault is reported
    /// as that kernel's (CUDA reports faults at a later call otherwise). For checks, not for speed.
    /// </summary>
    public static IDisposable CheckEachLaunch()
    {
        bool before = SynchronizeLaunches.Value;
        SynchronizeLaunches.Value = true;
        return new Scope(() => SynchronizeLaunches.Value = before);
    }

    /// <summary>
    /// Launches a kernel on the default stream (the one libtorch uses), so it is ordered with torch's work. Each argument
    /// is a blittable value (a pointer, a number, or a struct laid out as the kernel's parameter).
    /// </summary>
    public static void Launch(nint kernel, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, params object[] args)
    {
        var handles = new GCHandle[args.Length];
        var ptrs = new nint[args.Length];
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                handles[i] = GCHandle.Alloc(args[i], GCHandleType.Pinned);
                ptrs[i] = handles[i].AddrOfPinnedObject();
            }
            string name = KernelNames.GetValueOrDefault(kernel, "?");
            Check(LaunchKernel(kernel, grid.X, grid.Y, grid.Z, threads, 1, 1, sharedBytes, 0, ptrs, 0), $"cuLaunchKernel({name})");
            if (SynchronizeLaunches.Value) Synchronize($"kernel {name}");
        }
        finally
        {
            foreach (var h in handles) if (h.IsAllocated) h.Free();
        }
    }

    static CuLaunchKernel LaunchKernel => Fn<CuLaunchKernel>(Driver, "cuLaunchKernel");

    const int MultiprocessorCount = 16;             // CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT
    static readonly ConcurrentDictionary<(int Device, int Attribute), int> Attributes = new();

    /// <summary>The number of multiprocessors of device <paramref name="device"/>.</summary>
    public static int Multiprocessors(int device) => Attribute(device, MultiprocessorCount);

    static int Attribute(int device, int attribute) => Attributes.GetOrAdd((device, attribute), key =>
    {
        Check(Fn<CuDeviceGetAttribute>(Driver, "cuDeviceGetAttribute")(out var value, key.Attribute, key.Device), "cuDeviceGetAttribute");
        return value;
    });

    delegate int CuCtxSynchronize();

    /// <summary>Waits for the device's work so far; a kernel's fault surfaces here as a <see cref="KernelFaultException"/> naming <paramref name="what"/>.</summary>
    public static void Synchronize(string what) => Check(Fn<CuCtxSynchronize>(Driver, "cuCtxSynchronize")(), what);

    // Errors that kill the context are KernelFaultException: the caller must stop using the device.
    static void Check(int rc, string what)
    {
        if (rc == 0) return;
        string text = "";
        try
        {
            if (Fn<CuGetErrorString>(Driver, "cuGetErrorString")(rc, out var p) == 0) text = Marshal.PtrToStringAnsi(p) ?? "";
        }
        catch (LawcatException) { }
        string message = $"{what} failed with CUDA error {rc} {text}";
        throw KernelFaultException.IsSticky(rc) ? new KernelFaultException(message + " (the CUDA context is lost; later CUDA calls in this process fail too)") : new LawcatException(message);
    }

    delegate nint ThsTensorData(nint handle);

    /// <summary>The address of a tensor's first element (a device pointer for CUDA tensors); 0 for null, a kernel's "none".</summary>
    public static nint DataPointer(Tensor? t) => t is null ? 0 : Fn<ThsTensorData>(Shim, "THSTensor_data")(t.Handle);
}
