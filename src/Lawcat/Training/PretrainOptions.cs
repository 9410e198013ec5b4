using Lawcat.Llama;

namespace Lawcat.Training;

/// <summary>
/// A from-scratch training run of a small Llama on public-domain text mixed with passkey-retrieval samples. The
/// defaults made the embedded tiny teacher (data/tiny-teacher): a 4-layer, 256-wide byte-level Llama trained on
/// 4,096-byte sequences, four times the main job's distillation length, so that the student can be compared with its
/// teacher both inside and past the teacher's context.
/// </summary>
public sealed record PretrainOptions
{
    /// <summary>Width of the residual stream.</summary>
    public int HiddenSize { get; init; } = 256;
    /// <summary>Width of the MLP.</summary>
    public int IntermediateSize { get; init; } = 768;
    /// <summary>Decoder layers.</summary>
    public int Layers { get; init; } = 4;
    /// <summary>Query heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Key/value heads (grouped-query attention).</summary>
    public int KvHeads { get; init; } = 2;
    /// <summary>RoPE base.</summary>
    public double RopeTheta { get; init; } = 10000;
    /// <summary>Training files (.txt/.jsonl); empty = the bundled public-domain books.</summary>
    public string[] Files { get; init; } = Array.Empty<string>();
    /// <summary>Tokens per training sequence.</summary>
    public int SequenceLength { get; init; } = 4096;
    /// <summary>Share of sequences that are synthetic passkey-retrieval samples.</summary>
    public double PasskeyRatio { get; init; } = 0.5;
    /// <summary>Held-out text chunks for the eval loss.</summary>
    public int EvalChunks { get; init; } = 16;
    /// <summary>Optimization.</summary>
    public StageOptions Train { get; init; } = new()
    {
        Steps = 5600, BatchSize = 8, GradientAccumulation = 1, LearningRate = 2e-3, WeightDecay = 0.1,
        Schedule = ScheduleKind.Cosine, WarmupSteps = 200, EvalEvery = 500, MaxGradNorm = 1.0,
    };
    /// <summary>Passkey samples scored at the end, at the training length.</summary>
    public int PasskeyEvalSamples { get; init; } = 100;
    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cuda";
    /// <summary>Let CUDA matmuls use TF32 (much faster for training from scratch; fp32 everywhere else).</summary>
    public bool AllowTf32 { get; init; } = true;
    /// <summary>Seed of initialization, data order and synthetic samples.</summary>
    public int Seed { get; init; }
    /// <summary>Checkpoint interval in updates.</summary>
    public int CheckpointEvery { get; init; } = 1000;

    /// <summary>The architecture these options describe, for a byte-level vocabulary of <paramref name="vocab"/> ids.</summary>
    public LlamaConfig ModelConfig(int vocab, int bos, int eos) => new()
    {
        HiddenSize = HiddenSize, IntermediateSize = IntermediateSize, NumHiddenLayers = Layers, NumAttentionHeads = Heads,
        NumKeyValueHeads = KvHeads, HeadDim = HiddenSize / Heads, RmsNormEps = 1e-5, RopeTheta = RopeTheta,
        RopeScaling = new RopeScaling(), MaxPositionEmbeddings = 8 * SequenceLength, VocabSize = vocab, TieWordEmbeddings = true,
        BosTokenId = bos, EosTokenIds = new[] { eos }, TorchDtype = "float32",
    };
}
