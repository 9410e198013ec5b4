using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>Pre-norm decoder layer: h + attn(norm(h)), then h + mlp(norm(h)).</summary>
public sealed class LlamaDecoderLayer : nn.Module<Tensor, AttentionContext, Tensor>
{
    DecoderAttention self_attn;
    readonly LlamaMlp mlp;
    readonly RmsNorm input_layernorm, post_attention_layernorm;

    /// <summary>Layer <paramref name="layerIndex"/> of <paramref name="config"/> with softmax attention.</summary>
    public LlamaDecoderLayer(LlamaConfig config, int layerIndex, Device? device, ScalarType? dtype) : base(nameof(LlamaDecoderLayer))
    {
        self_attn = new SoftmaxAttention(config, layerIndex, device, dtype);
        mlp = new LlamaMlp(config, device, dtype);
        input_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        post_attention_layernorm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <summary>The layer's attention.</summary>
    public DecoderAttention Attention => self_attn;

    /// <summary>Swaps in another attention (it keeps the name <c>self_attn</c> in the state dict).</summary>
    public void ReplaceAttention(DecoderAttention attention)
    {
        register_module(nameof(self_attn), null!);
        self_attn = attention;
        register_module(nameof(self_attn), attention);
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor h, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        var (sum, normed) = post_attention_layernorm.AddAndNorm(h, self_attn.forward(input_layernorm.forward(h), ctx));
        return sum.Plus(mlp.forward(normed)).MoveToOuterDisposeScope();
    }
}
