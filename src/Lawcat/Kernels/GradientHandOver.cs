using static TorchSharp.torch;

namespace Lawcat.Kernels;

/// <summary>
/// What the workbench's autograd nodes need around a backward call in TorchSharp 0.107. On CUDA the engine calls it on its
/// own thread, outside any dispose scope, and copies the returned gradients only after it returns: so a node frees what it
/// makes itself, and its gradients stay alive here until the next node's backward call on the same thread (the engine's
/// thread for a device; the calling thread on the CPU). Left to the garbage collector, the device memory behind them piled
/// up (118 GiB in a distillation of the 1B architecture).
/// </summary>
internal static class GradientHandOver
{
    [ThreadStatic] static List<Tensor?>? _held;

    /// <summary>
    /// Runs <paramref name="backward"/> in a dispose scope, frees the upstream gradients' wrappers after it, and keeps the
    /// gradients it returns (one per forward argument, null where none) alive until the next call.
    /// </summary>
    public static List<Tensor> Run(List<Tensor> gradOutputs, Func<List<Tensor?>> backward)
    {
        _held?.ForEach(x => x?.Dispose());
        _held = null;
        List<Tensor?> grads;
        using (var scope = NewDisposeScope())
        {
            grads = backward();
            foreach (var x in grads) x?.MoveToOuterDisposeScope();
        }
        foreach (var x in gradOutputs) x?.Dispose();
        _held = grads;
        return grads!;
    }

    /// <summary>An upstream gradient, or null where the output was unused (undefined; TorchSharp's zeros for it would
    /// come from a copy of the output that the caller's dispose scope may already have freed, so nodes turn that off).</summary>
    public static Tensor? Defined(Tensor? gradient) => gradient is null || gradient.IsInvalid ? null : gradient;
}
