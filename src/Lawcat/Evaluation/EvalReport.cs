using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;

namespace Lawcat.Evaluation;

/// <summary>
/// Evaluation results as a DataFrame, saved as CSV and JSON, and summarized by prompt length and by needle distance
/// with sample counts, Wilson 95% intervals and paired tests against the reference model (<see cref="AccuracyTable"/>).
/// </summary>
public static class EvalReport
{
    static readonly JsonSerializerOptions ResultsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, WriteIndented = true };

    /// <summary>One row per sample.</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<EvalResult> results) => new(
        new StringDataFrameColumn("model", results.Select(r => r.Model)),
        new StringDataFrameColumn("task", results.Select(r => r.Task)),
        new Int32DataFrameColumn("target_length", results.Select(r => r.TargetLength)),
        new Int32DataFrameColumn("actual_length", results.Select(r => r.ActualLength)),
        new DoubleDataFrameColumn("depth", results.Select(r => r.Depth)),
        new Int32DataFrameColumn("needle_distance", results.Select(r => r.NeedleDistance)),
        new Int32DataFrameColumn("index", results.Select(r => r.Index)),
        new DoubleDataFrameColumn("score", results.Select(r => r.Score)),
        new StringDataFrameColumn("output", results.Select(r => r.Output)),
        new StringDataFrameColumn("answer", results.Select(r => r.Answer)),
        new DoubleDataFrameColumn("seconds", results.Select(r => r.Seconds)));

    /// <summary>
    /// Accuracy per task and length: per model the accuracy (%), its Wilson 95% interval (%) and n, and each model's
    /// McNemar test against the teacher (or the first model).
    /// </summary>
    public static DataFrame Summary(IReadOnlyList<EvalResult> results) =>
        AccuracyTable.ToDataFrame(AccuracyTable.ByLength(results), "length", numericGroup: true);

    /// <summary>The same by needle-distance bin (<see cref="DistanceBins"/>), over the samples that have a needle.</summary>
    public static DataFrame DistanceSummary(IReadOnlyList<EvalResult> results) =>
        AccuracyTable.ToDataFrame(AccuracyTable.ByDistance(results), "distance", numericGroup: false);

    /// <summary>
    /// Writes <c>PREFIX.csv</c> and <c>PREFIX.json</c> (per sample), <c>PREFIX-summary.csv</c> (by length),
    /// <c>PREFIX-distance.csv</c> (by needle distance, when samples have a needle) and <c>PREFIX-summary.json</c> (both).
    /// Each file is written whole to a temporary file first, so an interrupted save never leaves a truncated one.
    /// </summary>
    public static void Save(IReadOnlyList<EvalResult> results, string prefix)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(prefix))!);
        WriteCsv(ToDataFrame(results), prefix + ".csv");
        var byLength = AccuracyTable.ByLength(results);
        var byDistance = AccuracyTable.ByDistance(results);
        WriteCsv(AccuracyTable.ToDataFrame(byLength, "length", numericGroup: true), prefix + "-summary.csv");
        if (byDistance.Count > 0) WriteCsv(AccuracyTable.ToDataFrame(byDistance, "distance", numericGroup: false), prefix + "-distance.csv");
        WriteText(prefix + ".json", JsonSerializer.SerializeToNode(results, ResultsJson)!.ToJsonString(ResultsJson));
        var summary = new JsonObject
        {
            ["reference"] = AccuracyTable.Reference(results),
            ["intervals"] = "wilson95",
            ["by_length"] = AccuracyTable.ToJson(byLength, "length"),
            ["by_distance"] = AccuracyTable.ToJson(byDistance, "distance"),
        };
        WriteText(prefix + "-summary.json", summary.ToJsonString(ResultsJson));
    }

    /// <summary>The per-sample results of a <c>PREFIX.json</c> file written by <see cref="Save"/>.</summary>
    public static List<EvalResult> Load(string path)
    {
        if (!File.Exists(path)) throw new LawcatException($"{path}: evaluation results not found.");
        try { return JsonSerializer.Deserialize<List<EvalResult>>(File.ReadAllText(path), ResultsJson) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new LawcatException($"{path}: not an evaluation results file (a JSON array of samples): {e.Message.Split(" Path:")[0]}"); }
    }

    /// <summary>CSV with invariant number formatting and quoted text, written to a temporary file and then renamed.</summary>
    public static void WriteCsv(DataFrame df, string path)
    {
        var lines = new List<string> { string.Join(",", df.Columns.Select(c => Quote(c.Name))) };
        for (long i = 0; i < df.Rows.Count; i++)
            lines.Add(string.Join(",", df.Columns.Select(c => Cell(c[i]))));
        WriteText(path, string.Join("\n", lines) + "\n");
    }

    /// <summary>Writes <paramref name="text"/> to <paramref name="path"/> through a temporary file, so the file is either old or whole.</summary>
    public static void WriteText(string path, string text)
    {
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, text);
        File.Move(temporary, path, overwrite: true);
    }

    static string Cell(object? v) => v switch
    {
        null => "",
        double d => d.ToString("G6", CultureInfo.InvariantCulture),
        float f => f.ToString("G6", CultureInfo.InvariantCulture),
        string s => Quote(s),
        _ => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "",
    };

    static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";

    /// <summary>The summary by length as text rows (header first): each model's accuracy [interval] in %, n, p-values.</summary>
    public static List<string[]> SummaryRows(IReadOnlyList<EvalResult> results) => AccuracyTable.ToText(AccuracyTable.ByLength(results), "length");

    /// <summary>The summary by needle distance as text rows (header first); empty when no sample has a needle.</summary>
    public static List<string[]> DistanceRows(IReadOnlyList<EvalResult> results) =>
        AccuracyTable.ByDistance(results) is { Count: > 0 } rows ? AccuracyTable.ToText(rows, "needle distance") : new List<string[]>();
}
