using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>Embedding, decoder layers and final norm (HF <c>LlamaModel</c>, named <c>model</c> in the state dict).</summary>
public sealed class LlamaTransformer : nn.Module
{
    readonly Embedding embed_tokens;
    readonly ModuleList<LlamaDecoderLayer> layers;
    readonly RmsNorm norm;

    /// <summary>Builds every layer of <paramref name="config"/> on <paramref name="device"/> in <paramref name="dtype"/>.</summary>
    public LlamaTransformer(LlamaConfig config, Device? device, ScalarType? dtype) : base(nameof(LlamaTransformer))
    {
        embed_tokens = nn.Embedding(config.VocabSize, config.HiddenSize, device: device, dtype: dtype);
        layers = new ModuleList<LlamaDecoderLayer>(Enumerable.Range(0, config.NumHiddenLayers)
            .Select(i => new LlamaDecoderLayer(config, i, device, dtype)).ToArray());
        norm = new RmsNorm(config.HiddenSize, config.RmsNormEps, device, dtype);
        RegisterComponents();
    }

    /// <summary>The token embedding.</summary>
    public Embedding Embedding => embed_tokens;
    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers => layers.ToList();
    /// <summary>The final norm.</summary>
    public RmsNorm FinalNorm => norm;
}
