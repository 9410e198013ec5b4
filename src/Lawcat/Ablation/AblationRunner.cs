using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.IO;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Ablation;

/// <summary>What a variant's finished run recorded in its <see cref="AblationRunner.ResultFile"/>.</summary>
/// <param name="NewParameters">Parameters the conversion added.</param>
/// <param name="Checkpoint">The student's final checkpoint.</param>
/// <param name="Seconds">Wall time of the session that finished the run (resumed runs count their last session only).</param>
public sealed record VariantSummary(long NewParameters, string Checkpoint, double Seconds);

/// <summary>One variant's finished run.</summary>
/// <param name="Variant">The variant.</param>
/// <param name="RunDir">Its run folder (what <c>lawcat distill</c> writes: options, metrics, checkpoints, passkey results).</param>
/// <param name="Summary">What the run recorded when it finished.</param>
/// <param name="Passkey">Its passkey results ("student", and "teacher" for the default).</param>
/// <param name="Metrics">Its metrics records (metrics.jsonl).</param>
/// <param name="Reused">True when an earlier invocation had finished it and this one only read it back.</param>
public sealed record VariantOutcome(GridVariant Variant, string RunDir, VariantSummary Summary, IReadOnlyList<EvalResult> Passkey,
    IReadOnlyList<JsonObject> Metrics, bool Reused)
{
    /// <summary>The best stage-1 held-out loss (1000 × per-layer MSE on the held-out chunks), or null without stage-1 evaluations.</summary>
    public double? Stage1HeldOutLoss => Metrics.Where(r => (r["stage"]?.GetValue<int>() ?? 0) == 1 && r["eval_loss"] is not null)
        .Select(r => (double?)r["eval_loss"]!.GetValue<double>()).Min();
}

/// <summary>A grid's runs: the variants finished so far, in grid order.</summary>
/// <param name="Grid">The grid.</param>
/// <param name="Folder">The grid folder.</param>
/// <param name="Variants">The finished variants.</param>
/// <param name="Interrupted">True when cancellation stopped a variant (it resumes where it stopped on the next run).</param>
public sealed record AblationOutcome(AblationGrid Grid, string Folder, IReadOnlyList<VariantOutcome> Variants, bool Interrupted);

/// <summary>
/// Runs a grid's variants one after the other with <see cref="DistillationRun"/> (what <c>lawcat distill</c> runs),
/// each into <c>FOLDER/variants/SLUG/</c>. Resumable: a variant with a result file is read back, not rerun; one with
/// checkpoints but no result resumes from its last checkpoint (to the bit); one with neither starts afresh.
/// </summary>
public sealed class AblationRunner(AblationGrid grid, string folder, Action<string>? log = null, IProgress<TrainingProgress>? progress = null)
{
    /// <summary>The file a variant's run folder gets when it has finished.</summary>
    public const string ResultFile = "result.json";

    static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>The run folder of <paramref name="variant"/> in grid folder <paramref name="gridFolder"/>.</summary>
    public static string VariantFolder(string gridFolder, GridVariant variant) => Path.Combine(gridFolder, "variants", variant.Slug);

    /// <summary>Whether <paramref name="variant"/> has finished in <paramref name="gridFolder"/>.</summary>
    public static bool IsFinished(string gridFolder, GridVariant variant) => File.Exists(Path.Combine(VariantFolder(gridFolder, variant), ResultFile));

    /// <summary>
    /// Runs (or reads back) every variant on <paramref name="device"/>; stops early, resumable, when <paramref name="cancel"/>
    /// fires. <paramref name="onEvalSample"/> hears of every evaluated sample with the variant it belongs to.
    /// </summary>
    public AblationOutcome Run(Device device, Action<GridVariant, EvalResult>? onEvalSample = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(folder);
        TextFiles.WriteWhole(Path.Combine(folder, "grid.json"), Describe().ToJsonString(Json));
        var outcomes = new List<VariantOutcome>();
        foreach (var variant in grid.Variants)
        {
            if (cancel.IsCancellationRequested) return new AblationOutcome(grid, folder, outcomes, true);
            var outcome = IsFinished(folder, variant) ? ReadBack(variant) : RunVariant(variant, device, onEvalSample, cancel);
            if (outcome is null) return new AblationOutcome(grid, folder, outcomes, true);
            outcomes.Add(outcome);
        }
        return new AblationOutcome(grid, folder, outcomes, false);
    }

    VariantOutcome? RunVariant(GridVariant variant, Device device, Action<GridVariant, EvalResult>? onEvalSample, CancellationToken cancel)
    {
        var dir = VariantFolder(folder, variant);
        bool resume = new[] { "stage1-last", "stage2-last" }.Any(k => File.Exists(Path.Combine(dir, "checkpoints", k + ".safetensors")));
        // A folder without a checkpoint holds nothing worth keeping (metrics of updates that no checkpoint saved).
        if (!resume && Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        log?.Invoke($"{variant.Name}: {(resume ? "resuming" : "running")} in {dir}");
        var clock = Stopwatch.StartNew();
        var named = progress is null ? null : new Progress(p => progress.Report(p with { Stage = $"{variant.Name}: {p.Stage}" }));
        DistillResult result;
        Action<EvalResult>? onSample = onEvalSample is null ? null : r => onEvalSample(variant, r);
        try { result = new DistillationRun(variant.Options, dir, named, log).Run(device, resume, onSample, cancel); }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested) { return null; }   // during evaluation: its checkpoints stay
        if (result.Interrupted) return null;
        var summary = new VariantSummary(result.Conversion.NewParameters, result.Checkpoint, clock.Elapsed.TotalSeconds);
        TextFiles.WriteWhole(Path.Combine(dir, ResultFile), JsonSerializer.Serialize(summary, Json));
        return new VariantOutcome(variant, dir, summary, result.Passkey, ReadMetrics(dir), Reused: false);
    }

    VariantOutcome ReadBack(GridVariant variant)
    {
        var dir = VariantFolder(folder, variant);
        var saved = OptionsIO.ReadFile(Path.Combine(dir, "options.json"));
        var differences = OptionsIO.Differences(saved, OptionsIO.ToJson(variant.Options));
        if (differences.Count > 0)
            throw new LawcatException($"{dir}: variant '{variant.Name}' finished there with other options than the grid now gives it " +
                $"({string.Join("; ", differences)}); use another grid folder (--out) or delete that one.");
        var resultPath = Path.Combine(dir, ResultFile);
        VariantSummary summary;
        try { summary = JsonSerializer.Deserialize<VariantSummary>(File.ReadAllText(resultPath), Json) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new LawcatException($"{resultPath}: not a variant result ({e.Message.Split(" Path:")[0]}); delete it to rerun the variant."); }
        var passkeyPath = Path.Combine(dir, "passkey.json");
        var passkey = variant.Options.PasskeyEval is null ? new List<EvalResult>() : EvalReport.Load(passkeyPath);
        log?.Invoke($"{variant.Name}: finished earlier, read back from {dir}");
        return new VariantOutcome(variant, dir, summary, passkey, ReadMetrics(dir), Reused: true);
    }

    static List<JsonObject> ReadMetrics(string dir)
    {
        var path = Path.Combine(dir, "metrics.jsonl");
        return File.Exists(path) ? MetricsLog.Read(path) : new List<JsonObject>();
    }

    JsonObject Describe() => new()
    {
        ["source"] = grid.Source,
        ["default"] = grid.Default.Name,
        ["variants"] = new JsonArray(grid.Variants.Select(v => (JsonNode?)new JsonObject
        {
            ["name"] = v.Name,
            ["folder"] = Path.Combine("variants", v.Slug),
            ["sets"] = new JsonArray(v.Sets.Select(s => (JsonNode?)s).ToArray()),
            ["options"] = OptionsIO.ToJson(v.Options),
        }).ToArray()),
    };

    sealed class Progress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
