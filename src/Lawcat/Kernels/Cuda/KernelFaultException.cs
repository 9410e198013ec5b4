namespace Lawcat.Kernels.Cuda;

/// <summary>
/// A kernel faulted (an illegal or misaligned address, a failed launch): a CUDA error that stays with the context, so
/// every later CUDA call in the process fails too. Whoever catches it reports it and stops using the device; it is
/// thrown by the CUDA launcher (naming the kernel when launches are checked one by one) and by the test suite's emulator.
/// </summary>
public sealed class KernelFaultException(string message) : LawcatException(message)
{
    /// <summary>CUDA driver errors that leave the context unusable (CUDA_ERROR_ILLEGAL_ADDRESS and its kind).</summary>
    internal static bool IsSticky(int code) => code is 700 or 702 or 710 or (>= 714 and <= 719);
}
