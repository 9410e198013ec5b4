using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// Within the scope, libtorch runs this thread's CPU operations on one thread (OpenMP's thread count is per calling
/// thread). The kernel checks make thousands of tiny tensor operations (the token-by-token references); on a loaded
/// machine, libtorch's worker threads spin-waiting on each one cost far more than the work (measured: the fp32 recurrence
/// of one check case, 2.6 s of CPU with 2 threads against 0.07 s with 1).
/// </summary>
sealed class SingleTorchThread : IDisposable
{
    readonly int _before = get_num_threads();

    public SingleTorchThread() => set_num_threads(1);

    public void Dispose() => set_num_threads(_before);
}
