using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>
/// The feature map φ of the linear path, one module shared by queries and keys. Input and output [B, H, T, D].
/// Hedgehog: φ(u) = clamp_min([softmax(u W_h), softmax(−u W_h)], 1e-12) with W_h ∈ R^{D × D/2} per head (softmax
/// over the feature axis), so the output width equals the head width and matches the gate.
/// </summary>
public sealed class FeatureMap : nn.Module<Tensor, Tensor>
{
    readonly Parameter? layer;
    readonly FeatureMapKind _kind;

    /// <summary>The floor of Hedgehog's features (docs/lawcat.md §1.2), so no feature is exactly 0.</summary>
    static readonly Scalar MinFeature = 1e-12.ToScalar();

    /// <summary>Hedgehog's per-head projection [H, D, D/2] (null for the other maps).</summary>
    public Parameter? Weight => layer;

    /// <summary>A map of <paramref name="kind"/> for <paramref name="heads"/> heads of width <paramref name="headDim"/>.</summary>
    public FeatureMap(FeatureMapKind kind, long heads, long headDim, bool identityInit, Device? device = null, ScalarType? dtype = null) : base(nameof(FeatureMap))
    {
        _kind = kind;
        if (kind == FeatureMapKind.HedgehogSoftmax)
        {
            long fd = headDim / 2;
            var w = identityInit
                ? eye(headDim, fd, dtype: dtype ?? ScalarType.Float32, device: device).unsqueeze(0).repeat(heads, 1, 1)
                : empty(new[] { heads, headDim, fd }, dtype: dtype ?? ScalarType.Float32, device: device);
            if (!identityInit) nn.init.kaiming_uniform_(w, Math.Sqrt(5));
            layer = new Parameter(w);                                                     // [H, D, D/2]
        }
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor u)
    {
        using var scope = NewDisposeScope();
        var y = _kind switch
        {
            FeatureMapKind.HedgehogSoftmax => Hedgehog(u),
            FeatureMapKind.EluPlusOne => u.elu(Scalars.One, Scalars.One, Scalars.One).Plus(1L),
            FeatureMapKind.Relu => nn.functional.relu(u),
            _ => u.alias(),
        };
        return y.MoveToOuterDisposeScope();
    }

    Tensor Hedgehog(Tensor u)
    {
        var x = einsum("bhtd,hdf->bhtf", u, layer!.to(u.dtype));                         // [B, H, T, D/2]
        return cat(new[] { x.softmax(-1), (-x).softmax(-1) }, -1).clamp_min(MinFeature);   // [B, H, T, D]
    }
}
