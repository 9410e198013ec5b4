using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>
/// The log-decay gate g = logsigmoid(a(x)) / normalizer from the layer input x [B, T, C], per key/value head
/// (and feature dimension), returned as [B, Hkv, T, K] (K = 1 for the scalar gate; null when there is no gate).
/// Low-rank (LAWCAT's): a = W_up W_down x + b, named <c>gk_proj.0</c>/<c>gk_proj.1</c> as in fla's GLA layer.
/// With <see cref="LawcatOptions.MaxGateMemory"/> M, g is clamped to at most −1/M (without a gate: g = −1/M). This
/// is the only place log-decays are made, so every path of the layer sees the bound.
/// </summary>
public sealed class DecayGate : nn.Module<Tensor, Tensor?>
{
    readonly nn.Module<Tensor, Tensor>? gk_proj;
    readonly GateKind _kind;
    readonly double _normalizer;
    readonly Scalar? _maxLogDecay;
    readonly long _kvHeads, _width;

    /// <summary>A gate of <paramref name="options"/>' kind for <paramref name="kvHeads"/> heads of width <paramref name="headDim"/>.</summary>
    public DecayGate(LawcatOptions options, long hidden, long kvHeads, long headDim, Device? device = null, ScalarType? dtype = null) : base(nameof(DecayGate))
    {
        (_kind, _normalizer, _kvHeads) = (options.Gate, options.GateLogitNormalizer, kvHeads);
        _width = options.Gate == GateKind.ScalarPerHead ? 1 : headDim;
        if (options.MaxGateMemory > 0) _maxLogDecay = (-1.0 / options.MaxGateMemory).ToScalar();
        // Created in this order so the random initialization is the same as ever for a seed.
        var down = options.Gate == GateKind.LowRankPerDim ? Init(nn.Linear(hidden, options.GateRank, false, device, dtype), options.LinearInitStd) : null;
        var last = options.Gate == GateKind.None ? null : Init(nn.Linear(down is null ? hidden : options.GateRank, kvHeads * _width, true, device, dtype), options.LinearInitStd);
        gk_proj = down is null ? last : nn.Sequential(("0", down), ("1", last!));
        if (last is not null && options.GateInitMemory.Length == 2)
        {
            using var _ = no_grad();
            last.bias!.copy_(MemoryBias(options.GateInitMemory[0], options.GateInitMemory[1], kvHeads, _width, _normalizer));
        }
        RegisterComponents();
    }

    /// <summary>
    /// Biases [Hkv * K] with logsigmoid(b) / normalizer = −1/M, M log-spaced from <paramref name="shortest"/> to
    /// <paramref name="longest"/> over each head's K dimensions (over the heads when K = 1).
    /// </summary>
    static Tensor MemoryBias(double shortest, double longest, long heads, long width, double normalizer)
    {
        long spread = width == 1 ? heads : width;
        var bias = new float[heads * width];
        for (long i = 0; i < bias.Length; i++)
        {
            long j = width == 1 ? i : i % width;
            double memory = spread == 1 ? shortest : shortest * Math.Pow(longest / shortest, (double)j / (spread - 1));
            double keep = Math.Exp(-normalizer / memory);                                 // sigmoid(b)
            bias[i] = (float)Math.Log(keep / (1 - keep));
        }
        return tensor(bias);
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
        _kind == GateKind.LowRankPerDim && _maxLogDecay is null && gk_proj is not null && gk_proj.children().ToArray() is [Linear down, Linear up]
            ? (down.weight!, up.weight!, up.bias, _normalizer) : null;

    /// <inheritdoc/>
    public override Tensor? forward(Tensor x)
    {
        var (b, t) = (x.shape[0], x.shape[1]);
        if (gk_proj is null)
            return _maxLogDecay is null ? null : full(new[] { b, 1L, t, 1L }, _maxLogDecay, ScalarType.Float32, x.device);   // [B, 1, T, 1]
        using var scope = NewDisposeScope();
        var a = gk_proj.forward(x);                                                       // [B, T, Hkv * K]
        var g = nn.functional.logsigmoid(a.to(ScalarType.Float32)).Over(_normalizer);
        if (_maxLogDecay is not null) g = g.clamp_max(_maxLogDecay);
        return g.view(b, t, _kvHeads, _width).transpose(1, 2).MoveToOuterDisposeScope(); // [B, Hkv, T, K]
    }
}
