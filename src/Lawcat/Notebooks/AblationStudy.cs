using System.Diagnostics;
using System.Text.Json.Nodes;
using Lawcat.Attention;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Tokenization;
using Lawcat.Training;
using Lawcat.Visualization;
using Microsoft.Data.Analysis;
using ScottPlot;
using static TorchSharp.torch;

namespace Lawcat.Notebooks;

/// <summary>One arm of an ablation: a name and the complete distillation options it runs.</summary>
/// <param name="Name">Short label for tables and legends.</param>
/// <param name="Options">The same record <c>lawcat distill</c> reads (see <see cref="DistillCommandLine"/>).</param>
public sealed record AblationVariant(string Name, DistillOptions Options);

/// <summary>What one variant's run produced.</summary>
/// <param name="Variant">The variant.</param>
/// <param name="Run">The distillation result, as <c>lawcat distill</c> reports it.</param>
/// <param name="Metrics">The run's metrics records (metrics.jsonl).</param>
/// <param name="LayerMse">Per-layer attention-output MSE on held-out text after training (<see cref="AttentionTransferError"/>).</param>
/// <param name="Seconds">Wall time of the run and its evaluations.</param>
public sealed record AblationResult(AblationVariant Variant, DistillResult Run, IReadOnlyList<JsonObject> Metrics,
    IReadOnlyDictionary<int, double> LayerMse, double Seconds);

/// <summary>
/// Runs a set of <see cref="AblationVariant"/>s one after the other with <see cref="DistillationRun"/> (exactly what
/// <c>lawcat distill</c> runs), then summarizes them: a results table and plots of loss curves, per-layer
/// attention-output error and passkey accuracy by length.
/// </summary>
public static class AblationStudy
{
    /// <summary>
    /// Runs every variant into its own folder under <paramref name="runsFolder"/> (replacing an earlier run there) and
    /// measures its per-layer error on <paramref name="probeChunks"/> held-out chunks.
    /// </summary>
    public static List<AblationResult> Run(IReadOnlyList<AblationVariant> variants, string runsFolder, Device device, int probeChunks = 4, Action<string>? log = null)
    {
        var results = new List<AblationResult>();
        foreach (var v in variants)
        {
            log?.Invoke($"{v.Name}: {DistillCommandLine.Format(v.Options)}");
            var dir = Path.Combine(runsFolder, Slug(v.Name));
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            var clock = Stopwatch.StartNew();
            var run = new DistillationRun(v.Options, dir);
            var result = run.Run(device, resume: false);
            using var student = StudentModel.Load(result.Checkpoint, run.TeacherFolder, device: device);
            var mse = AttentionTransferError.PerLayer(student, BpeTokenizer.FromModelFolder(run.TeacherFolder), v.Options.Data.SequenceLength, probeChunks);
            results.Add(new AblationResult(v, result, MetricsLog.Read(Path.Combine(dir, "metrics.jsonl")), mse, clock.Elapsed.TotalSeconds));
            log?.Invoke($"{v.Name}: stage 1 loss {result.Stage1?.LastLoss:G4}, best eval {result.Stage1?.BestEvalLoss:G4} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
        return results;
    }

    /// <summary>
    /// One row per variant: its LAWCAT switches, new parameters, stage-1 results exactly as <c>lawcat distill</c> reports
    /// them (last training loss, best held-out loss), the mean per-layer attention-output MSE, the student's passkey
    /// accuracy (%) per length and the run's wall time.
    /// </summary>
    public static DataFrame Table(IReadOnlyList<AblationResult> results)
    {
        var lengths = results.SelectMany(r => r.Run.Passkey).Select(p => p.TargetLength).Distinct().Order().ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("variant", results.Select(r => r.Variant.Name)),
            new StringDataFrameColumn("conv", results.Select(r => Conv(r.Variant.Options.Lawcat))),
            new StringDataFrameColumn("gate", results.Select(r => Gate(r.Variant.Options.Lawcat))),
            new StringDataFrameColumn("normalization", results.Select(r => Snake(r.Variant.Options.Lawcat.Normalization.ToString()))),
            new StringDataFrameColumn("feature_map", results.Select(r => Snake(r.Variant.Options.Lawcat.FeatureMap.ToString()))),
            new Int64DataFrameColumn("new_params", results.Select(r => r.Run.Conversion.NewParameters)),
            new DoubleDataFrameColumn("stage1_loss", results.Select(r => r.Run.Stage1?.LastLoss)),
            new DoubleDataFrameColumn("stage1_best_eval", results.Select(r => r.Run.Stage1?.BestEvalLoss)),
            new DoubleDataFrameColumn("attn_mse", results.Select(r => r.LayerMse.Count == 0 ? (double?)null : r.LayerMse.Values.Average())),
        };
        foreach (var length in lengths)
            columns.Add(new DoubleDataFrameColumn($"passkey@{length}", results.Select(r => Accuracy(r.Run.Passkey, "student", length))));
        columns.Add(new DoubleDataFrameColumn("seconds", results.Select(r => r.Seconds)));
        return new DataFrame(columns);
    }

    /// <summary>Stage-1 training loss against the update, one line per variant (log scale).</summary>
    public static Plot LossCurves(IReadOnlyList<AblationResult> results) =>
        Charts.RunCurves(results.Select(r => (r.Variant.Name, r.Metrics)), 1, "loss", "stage 1: attention-transfer loss (MSE × 1000)");

    /// <summary>Attention-output MSE per layer after training, one line per variant (log scale).</summary>
    public static Plot LayerMse(IReadOnlyList<AblationResult> results) =>
        Charts.Lines(results.Select(r => (r.Variant.Name, r.LayerMse.Keys.Select(k => (double)k).ToArray(), r.LayerMse.Values.ToArray())),
            "attention-output MSE per layer (held-out text)", "layer", "MSE vs teacher (log scale)", logY: true);

    /// <summary>Passkey accuracy by prompt length: each variant's student, and the teacher where it was evaluated.</summary>
    public static Plot PasskeyByLength(IReadOnlyList<AblationResult> results)
    {
        var teacher = results.SelectMany(r => r.Run.Passkey).Where(p => p.Model == "teacher").ToList();
        var series = results.Select(r => (r.Variant.Name, r.Run.Passkey.Where(p => p.Model == "student").ToList()))
            .Prepend(("teacher (softmax)", teacher)).Where(s => s.Item2.Count > 0)
            .Select(s =>
            {
                var byLength = s.Item2.GroupBy(p => p.TargetLength).OrderBy(g => g.Key).ToList();
                return (s.Item1, byLength.Select(g => (double)g.Key).ToArray(), byLength.Select(g => g.Average(p => p.Score) * 100).ToArray());
            });
        var plt = Charts.Lines(series, "passkey retrieval by prompt length", "prompt length (tokens)", "accuracy (%)", logX: true);
        plt.Axes.SetLimitsY(-5, 105);
        return plt;
    }

    static double? Accuracy(IEnumerable<EvalResult> results, string model, int length)
    {
        var cell = results.Where(p => p.Model == model && p.TargetLength == length).ToList();
        return cell.Count == 0 ? null : cell.Average(p => p.Score) * 100;
    }

    static string Conv(LawcatOptions o)
    {
        var on = new[] { (o.ConvOnQuery, "q"), (o.ConvOnKey, "k"), (o.ConvOnValue, "v") }.Where(x => x.Item1).Select(x => x.Item2).ToList();
        return on.Count == 0 ? "off" : $"{string.Join(",", on)} k={o.ConvKernelSize}";
    }

    static string Gate(LawcatOptions o) => o.Gate switch
    {
        GateKind.LowRankPerDim => $"per-dim r={o.GateRank}",
        GateKind.FullRankPerDim => "per-dim full",
        GateKind.ScalarPerHead => "scalar per head",
        _ => "none",
    };

    static string Snake(string name) => string.Concat(name.Select((c, i) => i > 0 && char.IsUpper(c) ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));

    static string Slug(string name) => string.Concat(name.ToLowerInvariant().Select(c => char.IsLetterOrDigit(c) ? c : '-')).Trim('-');
}
