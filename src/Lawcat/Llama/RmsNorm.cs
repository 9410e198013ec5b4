using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>Root-mean-square layer norm, computed in fp32 and cast back, as HF's LlamaRMSNorm.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    readonly Parameter weight;
    readonly double _eps;

    /// <summary>A norm over the last dimension of width <paramref name="size"/>, weight initialized to ones.</summary>
    public RmsNorm(long size, double eps, Device? device = null, ScalarType? dtype = null) : base(nameof(RmsNorm))
    {
        weight = new Parameter(ones(size, dtype: dtype, device: device));
        _eps = eps;
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        if (KernelBackend.DecoderStep(x, weight)) return DecoderKernels.RmsNorm(x, null, weight, _eps).Normed;
        using var scope = NewDisposeScope();
        var h = x.to(ScalarType.Float32);
        var variance = h.pow(Scalars.Two).mean(new long[] { -1 }, keepdim: true);
        h = h * rsqrt(variance.Plus(_eps));
        return (weight * h.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>(h + x, norm(h + x)): a residual add and the norm after it (one launch in a decoding step).</summary>
    public (Tensor Sum, Tensor Normed) AddAndNorm(Tensor h, Tensor x)
    {
        if (KernelBackend.DecoderStep(h, x, weight))
        {
            var (sum, normed) = DecoderKernels.RmsNorm(h, x, weight, _eps);
            return (sum!, normed);
        }
        var added = h.Plus(x);
        return (added, forward(added));
    }
}
