using Lawcat.Training;

namespace Lawcat.Visualization;

/// <summary>The training curves of a run folder (its <c>metrics.jsonl</c>): one figure per stage, as PNG files or plots.</summary>
public static class TrainingFigures
{
    /// <summary>The title of stage <paramref name="stage"/>'s curves: what the stage is and what its loss measures.</summary>
    public static string Title(int stage) => stage switch
    {
        0 => "training loss (next-token cross-entropy)",
        1 => "stage 1: attention transfer (weighted MSE)",
        2 => "stage 2: fine-tuning (next-token loss)",
        _ => $"stage {stage}",
    };

    /// <summary>Stage 1's loss falls by orders of magnitude, so it is drawn on a log axis; the others are not.</summary>
    public static bool LogScale(int stage) => stage == 1;

    /// <summary>The stage numbers that have training losses, in order.</summary>
    public static List<int> Stages(IReadOnlyList<System.Text.Json.Nodes.JsonObject> records) =>
        records.Where(r => r["loss"] is not null).Select(r => r["stage"]?.GetValue<int>() ?? 0).Distinct().Order().ToList();

    /// <summary>
    /// Writes <c>stageN-loss.png</c> (training and held-out loss against the update) for every stage of
    /// <paramref name="runDir"/>'s metrics into <paramref name="runDir"/>; returns the files written (none without metrics).
    /// </summary>
    public static List<string> Save(string runDir)
    {
        var metrics = Path.Combine(runDir, "metrics.jsonl");
        if (!File.Exists(metrics)) return new List<string>();
        var records = MetricsLog.Read(metrics);
        return Stages(records)
            .Select(stage => Charts.Save(Charts.StageCurves(records, stage, Title(stage), LogScale(stage)), Path.Combine(runDir, $"stage{stage}-loss.png")))
            .ToList();
    }
}
