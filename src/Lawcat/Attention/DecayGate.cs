using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>
/// The log-decay gate g = logsigmoid(a(x)) / normalizer from the layer input x [B, T, C], per key/value head
/// (and feature dimension), returned as [B, Hkv, T, K] (K = 1 for the scalar gate; null when there is no gate).
/// Low-rank (LAWCAT's): a = W_up W_down x + b, named <c>gk_proj.0</c>/<c>gk_proj.1</c> as in fla's GLA layer.
/// </summary>
public sealed class DecayGate : nn.Module<Tensor, Tensor?>
{
    readonly nn.Module<Tensor, Tensor>? gk_proj;
    readonly GateKind _kind;
    readonly double _normalizer;
    readonly long _kvHeads, _width;

    /// <summary>A gate of <paramref name="options"/>' kind for <paramref name="kvHeads"/> heads of width <paramref name="headDim"/>.</summary>
    public DecayGate(LawcatOptions options, long hidden, long kvHeads, long headDim, Device? device = null, ScalarType? dtype = null) : base(nameof(DecayGate))
    {
        (_kind, _normalizer, _kvHeads) = (options.Gate, options.GateLogitNormalizer, kvHeads);
        _width = options.Gate == GateKind.ScalarPerHead ? 1 : headDim;
        gk_proj = options.Gate switch
        {
            GateKind.LowRankPerDim => nn.Sequential(
                ("0", Init(nn.Linear(hidden, options.GateRank, false, device, dtype), options.LinearInitStd)),
                ("1", Init(nn.Linear(options.GateRank, kvHeads * headDim, true, device, dtype), options.LinearInitStd))),
            GateKind.FullRankPerDim => Init(nn.Linear(hidden, kvHeads * headDim, true, device, dtype), options.LinearInitStd),
            GateKind.ScalarPerHead => Init(nn.Linear(hidden, kvHeads, true, device, dtype), options.LinearInitStd),
            _ => null,
        };
        RegisterComponents();
    }

    static Linear Init(Linear l, double std)
    {
        using var _ = no_grad();
        nn.init.normal_(l.weight!, 0, std);
        l.bias?.zero_();
        return l;
    }

    /// <summary>
    /// The weights of LAWCAT's low-rank gate, for kernels that compute g = logsigmoid(W_up W_down x + b) / normalizer
    /// themselves: W_down [rank, C], W_up [Hkv·K, rank], b [Hkv·K]. Null for the other gates, and whenever
    /// <see cref="forward"/> computes anything beyond that formula (a clamp, say), so such kernels stay exact.
    /// </summary>
    public (Tensor Down, Tensor Up, Tensor? Bias, double Normalizer)? LowRankWeights() =>
        _kind == GateKind.LowRankPerDim && gk_proj is not null && gk_proj.children().ToArray() is [Linear down, Linear up]
            ? (down.weight!, up.weight!, up.bias, _normalizer) : null;

    /// <inheritdoc/>
    public override Tensor? forward(Tensor x)
    {
        if (gk_proj is null) return null;
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var a = gk_proj.forward(x);                                                       // [B, T, Hkv * K]
        var g = nn.functional.logsigmoid(a.to(ScalarType.Float32)) / _normalizer;
        return g.view(b, t, _kvHeads, _width).transpose(1, 2).MoveToOuterDisposeScope(); // [B, Hkv, T, K]
    }
}
