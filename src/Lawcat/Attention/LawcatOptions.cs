using System.Text.Json.Serialization;
using Lawcat.Kernels;

namespace Lawcat.Attention;

/// <summary>The feature map φ applied to queries and keys of the linear path.</summary>
public enum FeatureMapKind
{
    /// <summary>Hedgehog softmax over a learned per-head projection: φ(u) = [softmax(uW), softmax(−uW)] (LAWCAT's).</summary>
    HedgehogSoftmax,
    /// <summary>φ(u) = elu(u) + 1.</summary>
    EluPlusOne,
    /// <summary>φ(u) = relu(u).</summary>
    Relu,
    /// <summary>No map: φ(u) = u.</summary>
    Identity,
}

/// <summary>How the recurrent state decays between tokens.</summary>
public enum GateKind
{
    /// <summary>No decay: plain (cumulative) linear attention.</summary>
    None,
    /// <summary>One decay per key/value head and token.</summary>
    ScalarPerHead,
    /// <summary>A decay per key/value head, feature dimension and token from a rank-r projection (LAWCAT's).</summary>
    LowRankPerDim,
    /// <summary>A decay per key/value head, feature dimension and token from a full-rank projection.</summary>
    FullRankPerDim,
}

/// <summary>How the linear path's output is normalized.</summary>
public enum NormalizationKind
{
    /// <summary>Raw gated linear attention output.</summary>
    None,
    /// <summary>y = numerator / (denominator + eps), the denominator carried through the same gated recurrence (LAWCAT's).</summary>
    Denominator,
    /// <summary>RMSNorm over each head's raw output, with a learned weight.</summary>
    OutputRmsNorm,
}

/// <summary>
/// Every switch of a LAWCAT attention layer. Defaults are the paper's headline configuration
/// (<c>distill_llama3_2_1b_wsw0_fd32_gla_woCV_rep1_woSiLU_map2_idt_norm_ins_QK</c>): causal depthwise conv of
/// kernel 4 on q and k (not v), Hedgehog feature map of half the head width, rank-16 per-dimension gate with
/// normalizer 16, denominator normalization, no RoPE and no sliding window on the linear path.
/// </summary>
public sealed record LawcatOptions
{
    /// <summary>Taps of the causal depthwise convolutions (r + 1; the current token and r before it).</summary>
    public int ConvKernelSize { get; init; } = 4;
    /// <summary>Convolve queries (after q_proj).</summary>
    public bool ConvOnQuery { get; init; } = true;
    /// <summary>Convolve keys (after k_proj and the GQA expansion, so each query head has its own key filter).</summary>
    public bool ConvOnKey { get; init; } = true;
    /// <summary>Convolve values ("woCV" in the headline config means off).</summary>
    public bool ConvOnValue { get; init; }
    /// <summary>Initial weight of the conv taps other than the current token's (which starts at 1): near identity.</summary>
    public double ConvInitOffTap { get; init; } = 1e-3;

    /// <summary>The feature map φ, shared by queries and keys.</summary>
    public FeatureMapKind FeatureMap { get; init; } = FeatureMapKind.HedgehogSoftmax;
    /// <summary>Hedgehog: start each head's projection as the identity on its first head_dim/2 dims (<c>--lk_zero_init</c>); else random.</summary>
    public bool FeatureMapIdentityInit { get; init; } = true;

    /// <summary>The decay gate.</summary>
    public GateKind Gate { get; init; } = GateKind.LowRankPerDim;
    /// <summary>Width of the low-rank gate projection.</summary>
    public int GateRank { get; init; } = 16;
    /// <summary>g = logsigmoid(a) / normalizer; larger values mean slower decay.</summary>
    public double GateLogitNormalizer { get; init; } = 16.0;
    /// <summary>
    /// Initial gate memories in tokens, [shortest, longest] (empty = the recipe's zero bias: about 23 tokens everywhere).
    /// The gate's last bias starts so that, for a zero input, each head's feature dimensions have log-decays −1/M with
    /// memories M log-spaced from shortest to longest (the scalar gate spreads them over its heads): an initial memory
    /// spectrum that reaches the distillation length instead of having to be learned from 23 tokens.
    /// </summary>
    public double[] GateInitMemory { get; init; } = Array.Empty<double>();
    /// <summary>
    /// Bound on each gate dimension's memory, in tokens (0 = none): the log-decay is clamped to at most −1/max_gate_memory,
    /// so a dimension keeps at most about this many tokens' worth of its past (effective memory 1/(1 − α)). Applied
    /// where the gate is computed, so training, every form of the op, decoding and the CUDA kernels see the same decays;
    /// without a gate it is a constant decay of that memory.
    /// </summary>
    public double MaxGateMemory { get; init; }
    /// <summary>Std of the normal init of new linear layers (gate projections).</summary>
    public double LinearInitStd { get; init; } = 0.006;

    /// <summary>Output normalization of the linear path.</summary>
    public NormalizationKind Normalization { get; init; } = NormalizationKind.Denominator;
    /// <summary>Added to the denominator (and the RMSNorm's epsilon).</summary>
    public double NormalizationEps { get; init; } = 1e-10;

    /// <summary>Rotate q and k with RoPE (after the conv, before φ) on the linear path.</summary>
    public bool RopeOnLinearPath { get; init; }

    /// <summary>Sliding-window softmax term over the last <c>WindowSize</c> keys (0 = off), mixed into the same normalization.</summary>
    public int WindowSize { get; init; }
    /// <summary>Initial logit of the learned per-head window weight wf = sigmoid(logit) (0 → 0.5).</summary>
    public double WindowFactorInit { get; init; }

    /// <summary>Form of the op for prefill and training.</summary>
    public GlaForm Form { get; init; } = GlaForm.Chunked;
    /// <summary>Chunk length of the chunked form.</summary>
    public int ChunkSize { get; init; } = 64;

    /// <summary>
    /// Where the attention runs (<see cref="Kernels.KernelPolicy"/>: auto, tensor_only, cuda_cores, tensor_cores, fused); null
    /// (the default, not written to files): the process default, from <c>--kernels</c> or LAWCAT_KERNELS, else auto. It
    /// changes speed, not what is computed (every kernel is checked against the tensor operations).
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public Kernels.KernelPolicy? Kernels { get; init; }

    /// <summary>The paper's headline configuration.</summary>
    public static LawcatOptions Default { get; } = new();

    /// <summary>Checks ranges; throws <see cref="LawcatException"/> naming the bad field.</summary>
    public LawcatOptions Validate()
    {
        void Require(bool ok, string field, string expected)
        {
            if (!ok) throw new LawcatException($"LAWCAT option {field}: {expected}.");
        }
        Require(ConvKernelSize >= 1, nameof(ConvKernelSize), $"must be ≥ 1, got {ConvKernelSize}");
        Require(GateRank >= 1, nameof(GateRank), $"must be ≥ 1, got {GateRank}");
        Require(GateLogitNormalizer > 0, nameof(GateLogitNormalizer), $"must be > 0, got {GateLogitNormalizer}");
        Require(MaxGateMemory == 0 || MaxGateMemory >= 1, nameof(MaxGateMemory), $"must be 0 (none) or ≥ 1 token, got {MaxGateMemory}");
        Require(GateInitMemory.Length == 0 || (GateInitMemory.Length == 2 && GateInitMemory[0] >= 1 && GateInitMemory[1] >= GateInitMemory[0]),
            nameof(GateInitMemory), $"must be empty or [shortest, longest] tokens with 1 ≤ shortest ≤ longest, got [{string.Join(", ", GateInitMemory)}]");
        Require(GateInitMemory.Length == 0 || Gate != GateKind.None, nameof(GateInitMemory), "needs a gate (Gate is None)");
        Require(WindowSize >= 0, nameof(WindowSize), $"must be ≥ 0, got {WindowSize}");
        Require(ChunkSize >= 16 && ChunkSize % 16 == 0, nameof(ChunkSize), $"must be a positive multiple of 16, got {ChunkSize}");
        Require(NormalizationEps >= 0, nameof(NormalizationEps), $"must be ≥ 0, got {NormalizationEps}");
        Require(WindowSize == 0 || Normalization == NormalizationKind.Denominator, nameof(WindowSize),
            "a sliding window shares the denominator, so it needs Normalization = Denominator");
        return this;
    }
}
