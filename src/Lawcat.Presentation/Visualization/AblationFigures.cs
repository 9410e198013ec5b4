using Lawcat.Ablation;
using ScottPlot;

namespace Lawcat.Visualization;

/// <summary>
/// The plots of an ablation grid (<see cref="AblationReport"/> has its tables): passkey accuracy by length and by
/// needle distance, one line per variant and the teacher, and the stage-1 held-out loss of every variant.
/// </summary>
public static class AblationFigures
{
    /// <summary>Passkey accuracy by length, one line per variant and the teacher, with Wilson 95% intervals.</summary>
    public static Plot AccuracyByLength(AblationOutcome outcome) => Charts.AccuracyByLength(AblationReport.Results(outcome), "ablation: passkey accuracy by length");

    /// <summary>Passkey accuracy by needle distance, one line per variant and the teacher, with Wilson 95% intervals.</summary>
    public static Plot AccuracyByDistance(AblationOutcome outcome) => Charts.AccuracyByDistance(AblationReport.Results(outcome), "ablation: passkey accuracy by needle distance");

    /// <summary>Stage-1 held-out loss against the update, one line per variant (log scale).</summary>
    public static Plot Stage1HeldOut(AblationOutcome outcome) =>
        Charts.RunCurves(outcome.Variants.Select(v => (v.Variant.Name, v.Metrics)), 1, "eval_loss", "stage 1: held-out attention-transfer loss (MSE × 1000)");

    /// <summary>
    /// Writes the tables (<see cref="AblationReport.Save"/>) and the plots (PNG) into the grid folder and returns their
    /// paths. A machine without fonts still gets the tables: plots that fail are reported through
    /// <paramref name="warn"/> and skipped.
    /// </summary>
    public static List<string> Save(AblationOutcome outcome, Action<string>? warn = null)
    {
        var files = AblationReport.Save(outcome);
        var plots = new List<(string File, Func<Plot> Make)> { ("ablation-stage1-eval.png", () => Stage1HeldOut(outcome)) };
        if (AblationReport.Results(outcome).Count > 0)
        {
            plots.Add(("ablation-accuracy.png", () => AccuracyByLength(outcome)));
            plots.Add(("ablation-distance.png", () => AccuracyByDistance(outcome)));
        }
        foreach (var (file, make) in plots)
        {
            try { files.Add(Charts.Save(make(), Path.Combine(outcome.Folder, file), 860, 520)); }
            catch (Exception e) when (e is not LawcatException) { warn?.Invoke($"{file} not written ({e.GetType().Name}: {e.Message.Split('\n')[0]})"); }
        }
        return files;
    }
}
