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
}

/// <summary>
/// The replaceable attention of a decoder layer. Input: the normed hidden states [B, T, C]; output: the
/// attention block's contribution to the residual stream [B, T, C] (after o_proj). Implementations: the
/// softmax teacher (<see cref="SoftmaxAttention"/>) and LAWCAT's linear attention.
/// </summary>
public abstract class DecoderAttention : nn.Module<Tensor, AttentionContext, Tensor>
{
    /// <summary>Creates the attention of layer <paramref name="layerIndex"/>.</summary>
    protected DecoderAttention(string name, int layerIndex) : base(name) => LayerIndex = layerIndex;

    /// <summary>Index of the decoder layer this attention belongs to.</summary>
    public int LayerIndex { get; }
}
