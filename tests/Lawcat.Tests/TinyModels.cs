using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests;

/// <summary>Small random models for tests that need a model but not a fixture.</summary>
public static class TinyModels
{
    /// <summary>2 layers, 4 query heads over 2 key/value heads (GQA 2), head width 8, vocab 97.</summary>
    public static LlamaConfig Config { get; } = new()
    {
        HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8,
        RmsNormEps = 1e-5, RopeTheta = 10000, RopeScaling = new RopeScaling(), MaxPositionEmbeddings = 512, VocabSize = 97,
        TieWordEmbeddings = true, BosTokenId = 1, EosTokenIds = new[] { 2 }, TorchDtype = "float32",
    };

    /// <summary>A random teacher (fixed seed).</summary>
    public static LlamaModel Teacher(long seed = 0, LlamaConfig? config = null)
    {
        manual_seed(seed);
        var m = new LlamaModel(config ?? Config);
        m.eval();
        return m;
    }

    /// <summary>
    /// A converted student whose LAWCAT parameters are randomly perturbed away from their near-identity init, so
    /// tests exercise non-trivial convs, feature maps and gates.
    /// </summary>
    public static LlamaModel Student(LawcatOptions? options = null, long seed = 0, LlamaConfig? config = null, IEnumerable<int>? keepSoftmax = null)
    {
        var m = Teacher(seed, config);
        LawcatConversion.Convert(m, options, keepSoftmax);
        Perturb(m, seed + 1);
        return m;
    }

    /// <summary>Adds noise to every LAWCAT parameter.</summary>
    public static void Perturb(LlamaModel m, long seed)
    {
        manual_seed(seed);
        using var _ = no_grad();
        foreach (var (_, p) in LawcatConversion.NewParameters(m)) p.add_(randn_like(p) * 0.3);
    }

    /// <summary>Random token ids [B, T] (ids ≥ 3).</summary>
    public static Tensor Ids(long b, long t, long seed = 1)
    {
        manual_seed(seed);
        return randint(3, Config.VocabSize, new[] { b, t });
    }
}
