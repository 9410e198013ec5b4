using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.IO;

namespace Lawcat.Evaluation;

/// <summary>
/// Evaluation results as tables, saved as CSV and JSON, and summarized by prompt length and by needle distance
/// with sample counts, Wilson 95% intervals and paired tests against the reference model (<see cref="AccuracyTable"/>).
/// </summary>
public static class EvalReport
{
    static readonly JsonSerializerOptions ResultsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>One row per sample.</summary>
    public static ResultTable Samples(IReadOnlyList<EvalResult> results) => new(
        TableColumn.Of("model", results.Select(r => r.Model)),
        TableColumn.Of("task", results.Select(r => r.Task)),
        TableColumn.Of("target_length", results.Select(r => r.TargetLength)),
        TableColumn.Of("actual_length", results.Select(r => r.ActualLength)),
        TableColumn.Of("depth", results.Select(r => r.Depth)),
        TableColumn.Of("needle_distance", results.Select(r => r.NeedleDistance)),
        TableColumn.Of("index", results.Select(r => r.Index)),
        TableColumn.Of("score", results.Select(r => r.Score)),
        TableColumn.Of("output", results.Select(r => r.Output)),
        TableColumn.Of("answer", results.Select(r => r.Answer)),
        TableColumn.Of("seconds", results.Select(r => r.Seconds)));

    /// <summary>
    /// Accuracy per task and length: per model the accuracy (%), its Wilson 95% interval (%) and n, and each model's
    /// McNemar test against the teacher (or the first model).
    /// </summary>
    public static ResultTable Summary(IReadOnlyList<EvalResult> results) =>
        AccuracyTable.ToTable(AccuracyTable.ByLength(results), "length", numericGroup: true);

    /// <summary>The same by needle-distance bin (<see cref="DistanceBins"/>), over the samples that have a needle.</summary>
    public static ResultTable DistanceSummary(IReadOnlyList<EvalResult> results) =>
        AccuracyTable.ToTable(AccuracyTable.ByDistance(results), "distance", numericGroup: false);

    /// <summary>
    /// Writes <c>PREFIX.csv</c> and <c>PREFIX.json</c> (per sample), <c>PREFIX-summary.csv</c> (by length),
    /// <c>PREFIX-distance.csv</c> (by needle distance, when samples have a needle) and <c>PREFIX-summary.json</c> (both).
    /// Each file is written whole to a temporary file first, so an interrupted save never leaves a truncated one.
    /// </summary>
    public static void Save(IReadOnlyList<EvalResult> results, string prefix)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(prefix))!);
        Samples(results).WriteCsv(prefix + ".csv");
        var byLength = AccuracyTable.ByLength(results);
        var byDistance = AccuracyTable.ByDistance(results);
        AccuracyTable.ToTable(byLength, "length", numericGroup: true).WriteCsv(prefix + "-summary.csv");
        if (byDistance.Count > 0) AccuracyTable.ToTable(byDistance, "distance", numericGroup: false).WriteCsv(prefix + "-distance.csv");
        TextFiles.WriteWhole(prefix + ".json", JsonSerializer.SerializeToNode(results, ResultsJson)!.ToJsonString(ResultsJson));
        var summary = new JsonObject
        {
            ["reference"] = AccuracyTable.Reference(results),
            ["intervals"] = "wilson95",
            ["by_length"] = AccuracyTable.ToJson(byLength, "length"),
            ["by_distance"] = AccuracyTable.ToJson(byDistance, "distance"),
        };
        TextFiles.WriteWhole(prefix + "-summary.json", summary.ToJsonString(ResultsJson));
    }

    /// <summary>The per-sample results of a <c>PREFIX.json</c> file written by <see cref="Save"/>.</summary>
    public static List<EvalResult> Load(string path)
    {
        if (!File.Exists(path)) throw new LawcatException($"{path}: evaluation results not found.");
        try { return JsonSerializer.Deserialize<List<EvalResult>>(File.ReadAllText(path), ResultsJson) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new LawcatException($"{path}: not an evaluation results file (a JSON array of samples): {e.Message.Split(" Path:")[0]}"); }
    }

    /// <summary>The summary by length as text rows (header first): each model's accuracy [interval] in %, n, p-values.</summary>
    public static List<string[]> SummaryRows(IReadOnlyList<EvalResult> results) => AccuracyTable.ToText(AccuracyTable.ByLength(results), "length");

    /// <summary>The summary by needle distance as text rows (header first); empty when no sample has a needle.</summary>
    public static List<string[]> DistanceRows(IReadOnlyList<EvalResult> results) =>
        AccuracyTable.ByDistance(results) is { Count: > 0 } rows ? AccuracyTable.ToText(rows, "needle distance") : new List<string[]>();
}
