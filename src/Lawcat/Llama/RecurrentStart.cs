using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>
/// Where recurrent attention layers start their state in a training forward pass, instead of zeros (state coverage,
/// arXiv 2507.02782). Softmax layers ignore it; the recurrent layers that read it live above this layer.
/// </summary>
public sealed record RecurrentStart
{
    /// <summary>
    /// The input's first this many positions are an earlier sequence: recurrent layers run them without gradients and
    /// start the rest from the state and conv tails they leave (rows whose prefix is all padding start from zeros).
    /// </summary>
    public long DetachedPrefix { get; init; }

    /// <summary>Rows [B] (bool) that start from a noise state instead of zeros (null: none).</summary>
    public Tensor? NoiseRows { get; init; }

    /// <summary>Seed of the noise; each layer mixes in its index.</summary>
    public long NoiseSeed { get; init; }

    /// <summary>The noise's mass, in tokens' worth of keys (as the recurrent layer defines it).</summary>
    public double NoiseTokens { get; init; }
}
