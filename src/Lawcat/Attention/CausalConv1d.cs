using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>
/// Causal depthwise convolution over time: y_t[c] = Σ_j w[c, j] · x_{t−r+j}[c], zero before the sequence start, no
/// bias, no activation (fla's ShortConvolution). Weight [C, 1, r+1]; tap r is the current token. For decoding,
/// the last r inputs are carried as a tail, so step-by-step equals the full convolution.
/// </summary>
public sealed class CausalConv1d : nn.Module<Tensor, Tensor?, (Tensor Output, Tensor Tail)>
{
    readonly Parameter weight;

    /// <summary>Number of channels.</summary>
    public long Channels { get; }
    /// <summary>Number of taps (r + 1).</summary>
    public int KernelSize { get; }
    /// <summary>The filter [C, 1, r + 1]; tap r is the current token.</summary>
    public Parameter Weight => weight;

    /// <summary>A near-identity conv: current tap 1, the others <paramref name="offTap"/>.</summary>
    public CausalConv1d(long channels, int kernelSize, double offTap, Device? device = null, ScalarType? dtype = null) : base(nameof(CausalConv1d))
    {
        (Channels, KernelSize) = (channels, kernelSize);
        using var off = offTap.ToScalar();
        var w = full(new[] { channels, 1L, kernelSize }, off, dtype: dtype ?? ScalarType.Float32, device: device);
        w[.., .., -1].fill_(Scalars.One);
        weight = new Parameter(w);
        RegisterComponents();
    }

    /// <summary>
    /// x [B, T, C] and the previous tail [B, C, r] (null = zeros) → (y [B, T, C], new tail [B, C, r]).
    /// </summary>
    public override (Tensor Output, Tensor Tail) forward(Tensor x, Tensor? tail)
    {
        using var scope = NewDisposeScope();
        int r = KernelSize - 1;
        var xt = x.transpose(1, 2);                                                      // [B, C, T]
        tail ??= zeros(new[] { x.shape[0], Channels, (long)r }, x.dtype, x.device);
        var padded = cat(new[] { tail.to(x.dtype), xt }, 2);                             // [B, C, r + T]
        var y = nn.functional.conv1d(padded, weight.to(x.dtype), groups: Channels);      // [B, C, T]
        var newTail = padded[.., .., (int)(padded.shape[2] - r)..];                      // [B, C, r]
        return (y.transpose(1, 2).MoveToOuterDisposeScope(), newTail.MoveToOuterDisposeScope());
    }
}
