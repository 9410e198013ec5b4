using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>What every attention layer receives besides its input, for one forward pass of the model.</summary>
public sealed class AttentionContext
{
    /// <summary>Positions of the new tokens, [B, T].</summary>
    public required Tensor PositionIds { get; init; }
    /// <summary>Rotary cos table for the new tokens, [B, T, D].</summary>
    public required Tensor Cos { get; init; }
    /// <summary>Rotary sin table for the new tokens, [B, T, D].</summary>
    public required Tensor Sin { get; init; }
    /// <summary>[B, past + T] bool, true for real tokens; null when nothing is padded.</summary>
    public Tensor? KeyMask { get; init; }
    /// <summary>Positions consumed before this call (0 without a cache).</summary>
    public long PastLength { get; init; }
    /// <summary>Decoding states, or null for a stateless forward.</summary>
    public InferenceCache? Cache { get; init; }
    /// <summary>What to record, or null.</summary>
    public AttentionCapture? Capture { get; init; }
    /// <summary>Where recurrent layers start a stateless forward (null: from zeros).</summary>
    public RecurrentStart? Start { get; init; }

    /// <summary>
    /// The context of positions [<paramref name="from"/>, <paramref name="to"/>) of a stateless forward, as a call that
    /// continues after <paramref name="from"/> consumed positions sees it (no cache, no capture, no start).
    /// </summary>
    public AttentionContext Slice(long from, long to) => new()
    {
        PositionIds = PositionIds[.., (int)from..(int)to], Cos = Cos[.., (int)from..(int)to], Sin = Sin[.., (int)from..(int)to],
        KeyMask = KeyMask?[.., ..(int)to], PastLength = from,
    };
}

/// <summary>The four projections of an attention layer (plain <c>Linear</c>, or wrapped, e.g. by LoRA).</summary>
public sealed record AttentionProjections(nn.Module<Tensor, Tensor> Q, nn.Module<Tensor, Tensor> K, nn.Module<Tensor, Tensor> V, nn.Module<Tensor, Tensor> O);

/// <summary>
/// The replaceable attention of a decoder layer. Input: the normed hidden states [B, T, C]; output: the
/// attention block's contribution to the residual stream [B, T, C] (after o_proj). Implementations: the
/// softmax teacher (<see cref="SoftmaxAttention"/>) and LAWCAT's linear attention.
/// </summary>
public abstract class DecoderAttention : nn.Module<Tensor, AttentionContext, Tensor>
{
    /// <summary>The projections, named as in HF so state dicts map one to one.</summary>
    protected nn.Module<Tensor, Tensor> q_proj, k_proj, v_proj, o_proj;

    /// <summary>Creates the attention of layer <paramref name="layerIndex"/> around <paramref name="projections"/>.</summary>
    protected DecoderAttention(string name, int layerIndex, AttentionProjections projections) : base(name)
    {
        LayerIndex = layerIndex;
        (q_proj, k_proj, v_proj, o_proj) = (projections.Q, projections.K, projections.V, projections.O);
    }

    /// <summary>Index of the decoder layer this attention belongs to.</summary>
    public int LayerIndex { get; }

    /// <summary>The q, k, v and o projections.</summary>
    public AttentionProjections Projections => new(q_proj, k_proj, v_proj, o_proj);

    /// <summary>Swaps one projection (<c>q_proj</c>, <c>k_proj</c>, <c>v_proj</c> or <c>o_proj</c>), keeping its name.</summary>
    public void ReplaceProjection(string name, nn.Module<Tensor, Tensor> module)
    {
        register_module(name, null!);
        switch (name)
        {
            case nameof(q_proj): q_proj = module; break;
            case nameof(k_proj): k_proj = module; break;
            case nameof(v_proj): v_proj = module; break;
            case nameof(o_proj): o_proj = module; break;
            default: throw new ArgumentException($"no projection named '{name}'; expected q_proj, k_proj, v_proj or o_proj");
        }
        register_module(name, module);
    }
}
