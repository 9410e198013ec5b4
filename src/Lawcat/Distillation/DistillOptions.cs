using Lawcat.Attention;
using Lawcat.Training;

namespace Lawcat.Distillation;

/// <summary>Where the non-zero starting states of state-coverage training come from.</summary>
public enum StateStartKind
{
    /// <summary>The state and conv tails another training sequence leaves, run just before the sequence without gradients.</summary>
    CarriedOver,
    /// <summary>A random state fitted to the layer's keys and values (<see cref="StateNoise"/>).</summary>
    Noise,
}

/// <summary>
/// State coverage (arXiv 2507.02782; docs/lawcat.md §2.3): a share of training sequences start from a non-zero recurrent
/// state, so training visits states like those of sequences longer than it trains on. The held-out loss is still
/// measured from zero states, so runs with and without coverage compare.
/// </summary>
public sealed record StateCoverageOptions
{
    /// <summary>Share of training sequences that start from a non-zero state (0 = off: every sequence starts from zeros).</summary>
    public double Ratio { get; init; }
    /// <summary>Where the starting state comes from.</summary>
    public StateStartKind Start { get; init; } = StateStartKind.CarriedOver;
    /// <summary>
    /// Tokens before the sequence: the carried-over sequence's length (its last tokens), or the noise's mass in tokens'
    /// worth of keys (0 = the sequence length).
    /// </summary>
    public int PrefixTokens { get; init; }
}

/// <summary>Checking passkey retrieval past the distillation length at every evaluation of a stage ("reach").</summary>
public sealed record ReachEvalOptions
{
    /// <summary>Lengths as multiples of the distillation sequence length.</summary>
    public int[] LengthMultiples { get; init; } = { 2, 4 };
    /// <summary>Held-out samples per length (the same ones at every evaluation, none shared with training or the final evaluation).</summary>
    public int Samples { get; init; } = 10;
    /// <summary>Seed of the samples, apart from the training seed so that runs with different training seeds see the same ones.</summary>
    public int Seed { get; init; }
}

/// <summary>What both distillation stages set beyond optimization.</summary>
public abstract record DistillStageOptions : StageOptions
{
    /// <summary>Start a share of training sequences from a non-zero recurrent state.</summary>
    public StateCoverageOptions StateCoverage { get; init; } = new();
    /// <summary>Which evaluation's weights the stage keeps and ends with: eval_loss (the lowest held-out loss) or reach (needs <c>reach_eval</c>).</summary>
    public CheckpointSelection SelectBy { get; init; } = CheckpointSelection.EvalLoss;
    /// <summary>This stage's share of synthetic passkey samples (null: <c>data.passkey_ratio</c>), e.g. a different mix for stage 2.</summary>
    public double? PasskeyRatio { get; init; }
}

/// <summary>Stage 1, attention transfer (docs/lawcat.md §2.1): only LAWCAT parameters train, on per-layer output MSE.</summary>
public sealed record AttentionTransferOptions : DistillStageOptions
{
    /// <summary>Defaults of the reference recipe: lr 1e-2, MSE × 1000.</summary>
    public AttentionTransferOptions()
    {
        Steps = 300;
        LearningRate = 1e-2;
    }

    /// <summary>Loss = MseWeight × mean over layers of MSE(student, teacher) on pre-o_proj outputs.</summary>
    public double MseWeight { get; init; } = 1000;
}

/// <summary>Stage 2, fine-tuning: the student's own outputs flow; next-token cross-entropy (+ optional KL to the teacher).</summary>
public sealed record FineTuneOptions : DistillStageOptions
{
    /// <summary>Defaults: LoLCATs' LoRA recipe (r 8, α 16, lr 1e-4).</summary>
    public FineTuneOptions()
    {
        Steps = 100;
        LearningRate = 1e-4;
    }

    /// <summary>Train LoRA adapters on the attention projections.</summary>
    public bool UseLora { get; init; } = true;
    /// <summary>LoRA settings.</summary>
    public LoraOptions Lora { get; init; } = new();
    /// <summary>Also train these parameters fully (state-dict names; '*' matches within a name part, e.g. <c>model.layers.*.mlp.down_proj.weight</c>).</summary>
    public string[] FullFinetune { get; init; } = Array.Empty<string>();
    /// <summary>Keep training LAWCAT's own parameters in this stage.</summary>
    public bool TrainLawcat { get; init; }
    /// <summary>Weight of KL(teacher ‖ student) on next-token distributions (0 = cross-entropy only).</summary>
    public double KlWeight { get; init; }
}

/// <summary>Where training text comes from and how it is cut.</summary>
public sealed record DataOptions
{
    /// <summary>.txt and .jsonl files (a "text" field, or alpaca instruction/input/output). Empty: the bundled public-domain books.</summary>
    public string[] Files { get; init; } = Array.Empty<string>();
    /// <summary>Tokens per training chunk.</summary>
    public int SequenceLength { get; init; } = 1024;
    /// <summary>Chunks held out for evaluation.</summary>
    public int EvalChunks { get; init; } = 8;
    /// <summary>Share of training sequences replaced by synthetic passkey-retrieval samples.</summary>
    public double PasskeyRatio { get; init; }
    /// <summary>Stop reading data after this many tokens (0 = as many as the steps need, plus one spare epoch's worth).</summary>
    public long MaxTokens { get; init; }
}

/// <summary>Passkey evaluation run after distillation, at multiples of the distillation length.</summary>
public sealed record PasskeyEvalOptions
{
    /// <summary>Lengths as multiples of the distillation sequence length.</summary>
    public int[] LengthMultiples { get; init; } = { 1, 2, 4, 8 };
    /// <summary>Samples per length.</summary>
    public int Samples { get; init; } = 20;
    /// <summary>Evaluate the teacher too.</summary>
    public bool Teacher { get; init; } = true;
    /// <summary>
    /// Seed of the evaluation samples, apart from the training seed so that runs with different training seeds are
    /// evaluated on identical samples (paired comparisons); <c>lawcat eval passkey --seed</c> with the same value draws the same ones.
    /// </summary>
    public int Seed { get; init; }
}

/// <summary>
/// Everything a distillation run is, in one record. Defaults are the reference recipe for Llama-3.2-1B (LAWCAT's
/// headline attention, stage 1 at lr 1e-2 with MSE × 1000 on 1,024-token sequences, LoRA stage 2). Read from
/// JSON or YAML with snake_case keys, overridable key by key (<see cref="OptionsIO"/>).
/// </summary>
public sealed record DistillOptions
{
    /// <summary>Teacher model folder (Hugging Face format); null = the embedded tiny teacher.</summary>
    public string? Teacher { get; init; }
    /// <summary><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";
    /// <summary>Teacher weights' dtype: <c>float32</c> or <c>bfloat16</c>, read by <see cref="DTypeNames"/> (LAWCAT's own parameters are always fp32).</summary>
    public string Dtype { get; init; } = "float32";
    /// <summary>LAWCAT attention switches.</summary>
    public LawcatOptions Lawcat { get; init; } = new();
    /// <summary>Layers kept as softmax attention.</summary>
    public int[] SoftmaxLayers { get; init; } = Array.Empty<int>();
    /// <summary>Training data.</summary>
    public DataOptions Data { get; init; } = new();
    /// <summary>Stage 1 (attention transfer).</summary>
    public AttentionTransferOptions Stage1 { get; init; } = new();
    /// <summary>Stage 2 (fine-tuning).</summary>
    public FineTuneOptions Stage2 { get; init; } = new();
    /// <summary>Passkey evaluation after training (null = none).</summary>
    public PasskeyEvalOptions? PasskeyEval { get; init; } = new();
    /// <summary>Passkey accuracy past the distillation length, measured at every evaluation of both stages and logged (null = none).</summary>
    public ReachEvalOptions? ReachEval { get; init; }
    /// <summary>Seed of data order, synthetic samples and dropout.</summary>
    public int Seed { get; init; }
    /// <summary>Write a checkpoint every this many updates (and at the end of each stage).</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>The reference recipe (for Llama-3.2-1B on a GPU).</summary>
    public static DistillOptions Paper { get; } = new();

    /// <summary>
    /// The main job's preset for the embedded tiny teacher on a CPU: 1,024-token sequences (a quarter of the teacher's
    /// 4,096-token context), half of them passkey samples, stage 2 also training LAWCAT's own parameters, as many updates
    /// as fit the main job's ten minutes on two cores, and each gate dimension's memory bounded at 2,048 tokens
    /// (<see cref="LawcatOptions.MaxGateMemory"/>; the headline attention otherwise). With so short a training the bound
    /// is what lets the student retrieve past the teacher's context: on a CPU (20 samples per length) the student scored
    /// 95 / 90 / 45 / 35% at 1x / 2x / 4x / 8x with the bound and 75 / 50 / 15 / 0% without it, the teacher 95 / 95 / 95 / 0%.
    /// Passkey is scored at 1x to 8x the distillation length, so the last column lies past the teacher's context. The GPU
    /// recipe of docs/results.md trains far longer and without the bound (data/ablations/miniature.yaml).
    /// </summary>
    public static DistillOptions Tiny { get; } = new()
    {
        Lawcat = new LawcatOptions { MaxGateMemory = 2048 },
        Data = new DataOptions { SequenceLength = 1024, EvalChunks = 8, PasskeyRatio = 0.5 },
        Stage1 = new AttentionTransferOptions { Steps = 240, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 40 },
        Stage2 = new FineTuneOptions { Steps = 80, BatchSize = 2, GradientAccumulation = 1, LearningRate = 1e-3, EvalEvery = 40, TrainLawcat = true },
        PasskeyEval = new PasskeyEvalOptions { Samples = 20 },
        CheckpointEvery = 40,
    };

    /// <summary>Options from a JSON tree (snake_case keys), validated; <paramref name="source"/> names it in errors.</summary>
    public static DistillOptions FromJson(System.Text.Json.Nodes.JsonObject node, string source) => OptionsIO.FromJson<DistillOptions>(node, source).Validate();

    /// <summary>
    /// Checks every field; throws <see cref="LawcatException"/> naming the first bad one. Returns the options with the
    /// device and dtype written as options files store them (<c>bf16</c> becomes <c>bfloat16</c>).
    /// </summary>
    public DistillOptions Validate()
    {
        void Require(bool ok, string key, string expected)
        {
            if (!ok) throw new LawcatException($"option {key}: {expected}.");
        }
        var device = DeviceNames.Parse(Device, "option device");
        var dtype = DTypeNames.Normalize(Dtype, "option dtype");
        Require(Data.SequenceLength >= 16, "data.sequence_length", $"must be ≥ 16, got {Data.SequenceLength}");
        Require(Data.EvalChunks >= 1, "data.eval_chunks", $"must be ≥ 1, got {Data.EvalChunks}");
        Require(Data.PasskeyRatio is >= 0 and <= 1, "data.passkey_ratio", $"must be in [0, 1], got {Data.PasskeyRatio}");
        foreach (var (name, s) in new (string, DistillStageOptions)[] { ("stage1", Stage1), ("stage2", Stage2) })
        {
            Require(s.PasskeyRatio is null or (>= 0 and <= 1), $"{name}.passkey_ratio", $"must be null (data.passkey_ratio) or in [0, 1], got {s.PasskeyRatio}");
            Require(s.StateCoverage.Ratio is >= 0 and <= 1, $"{name}.state_coverage.ratio", $"must be in [0, 1], got {s.StateCoverage.Ratio}");
            Require(s.StateCoverage.PrefixTokens >= 0, $"{name}.state_coverage.prefix_tokens", $"must be ≥ 0 (0 = the sequence length), got {s.StateCoverage.PrefixTokens}");
            Require(s.SelectBy != CheckpointSelection.Reach || ReachEval is not null, $"{name}.select_by",
                "reach needs reach_eval (e.g. --set reach_eval={})");
            Require(s.Steps >= 0, $"{name}.steps", $"must be ≥ 0, got {s.Steps}");
            Require(s.BatchSize >= 1, $"{name}.batch_size", $"must be ≥ 1, got {s.BatchSize}");
            Require(s.GradientAccumulation >= 1, $"{name}.gradient_accumulation", $"must be ≥ 1, got {s.GradientAccumulation}");
            Require(s.LearningRate > 0, $"{name}.learning_rate", $"must be > 0, got {s.LearningRate}");
            Require(s.EvalEvery >= 1, $"{name}.eval_every", $"must be ≥ 1, got {s.EvalEvery}");
            Require(s.EarlyStopPatience >= 0, $"{name}.early_stop_patience", $"must be ≥ 0 (0 = off), got {s.EarlyStopPatience}");
            Require(s.WeightDecay >= 0, $"{name}.weight_decay", $"must be ≥ 0, got {s.WeightDecay}");
            Require(s.MaxGradNorm >= 0, $"{name}.max_grad_norm", $"must be ≥ 0 (0 = off), got {s.MaxGradNorm}");
            Require(s.WarmupSteps >= 0, $"{name}.warmup_steps", $"must be ≥ 0, got {s.WarmupSteps}");
            Require(s.Patience >= 0, $"{name}.patience", $"must be ≥ 0, got {s.Patience}");
        }
        Require(Stage1.MseWeight > 0, "stage1.mse_weight", $"must be > 0, got {Stage1.MseWeight}");
        Require(Stage2.KlWeight >= 0, "stage2.kl_weight", $"must be ≥ 0 (0 = cross-entropy only), got {Stage2.KlWeight}");
        // Checked here, not when stage 2 starts: a mistake in stage 2's options should not cost a whole stage 1 first.
        Require(Stage2.Steps == 0 || Stage2.UseLora || Stage2.TrainLawcat || Stage2.FullFinetune.Length > 0, "stage2",
            "has nothing to train: enable stage2.use_lora, stage2.train_lawcat or stage2.full_finetune (or set stage2.steps=0)");
        Require(Stage2.Lora.Alpha > 0, "stage2.lora.alpha", $"must be > 0, got {Stage2.Lora.Alpha}");
        Require(Stage2.Lora.Rank >= 1, "stage2.lora.rank", $"must be ≥ 1, got {Stage2.Lora.Rank}");
        Require(Stage2.Lora.Dropout is >= 0 and < 1, "stage2.lora.dropout", $"must be in [0, 1), got {Stage2.Lora.Dropout}");
        Require(CheckpointEvery >= 1, "checkpoint_every", $"must be ≥ 1, got {CheckpointEvery}");
        Require(PasskeyEval is null || PasskeyEval.Samples >= 1, "passkey_eval.samples", "must be ≥ 1");
        Require(PasskeyEval is null || (PasskeyEval.LengthMultiples.Length > 0 && PasskeyEval.LengthMultiples.All(m => m >= 1)), "passkey_eval.length_multiples",
            "must list multiples ≥ 1 of the sequence length");
        Require(ReachEval is null || ReachEval.Samples >= 1, "reach_eval.samples", "must be ≥ 1");
        Require(ReachEval is null || (ReachEval.LengthMultiples.Length > 0 && ReachEval.LengthMultiples.All(m => m >= 1)), "reach_eval.length_multiples",
            "must list multiples ≥ 1 of the sequence length");
        Lawcat.Validate();
        return this with { Device = device, Dtype = dtype };
    }
}
