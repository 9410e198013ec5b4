using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Data.Analysis;

namespace Lawcat.Evaluation;

/// <summary>Evaluation results as a DataFrame, saved as CSV and JSON, and summarized as a teacher-vs-student table.</summary>
public static class EvalReport
{
    /// <summary>One row per sample.</summary>
    public static DataFrame ToDataFrame(IReadOnlyList<EvalResult> results) => new(
        new StringDataFrameColumn("model", results.Select(r => r.Model)),
        new StringDataFrameColumn("task", results.Select(r => r.Task)),
        new Int32DataFrameColumn("target_length", results.Select(r => r.TargetLength)),
        new Int32DataFrameColumn("actual_length", results.Select(r => r.ActualLength)),
        new DoubleDataFrameColumn("depth", results.Select(r => r.Depth)),
        new Int32DataFrameColumn("index", results.Select(r => r.Index)),
        new DoubleDataFrameColumn("score", results.Select(r => r.Score)),
        new StringDataFrameColumn("output", results.Select(r => r.Output)),
        new StringDataFrameColumn("answer", results.Select(r => r.Answer)),
        new DoubleDataFrameColumn("seconds", results.Select(r => r.Seconds)));

    /// <summary>Accuracy (%) per task and length, one column per model, as a DataFrame.</summary>
    public static DataFrame Summary(IReadOnlyList<EvalResult> results)
    {
        var models = results.Select(r => r.Model).Distinct().ToList();
        var cells = results.GroupBy(r => (r.Task, r.TargetLength)).OrderBy(g => g.Key.Task).ThenBy(g => g.Key.TargetLength).ToList();
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("task", cells.Select(c => c.Key.Task)),
            new Int32DataFrameColumn("length", cells.Select(c => c.Key.TargetLength)),
        };
        foreach (var m in models)
            columns.Add(new DoubleDataFrameColumn(m, cells.Select(c => c.Where(r => r.Model == m).Select(r => (double?)r.Score * 100).DefaultIfEmpty(null).Average())));
        columns.Add(new Int32DataFrameColumn("samples", cells.Select(c => c.Count() / models.Count)));
        return new DataFrame(columns);
    }

    /// <summary>Writes <c>PREFIX.csv</c> (per sample), <c>PREFIX.json</c> and <c>PREFIX-summary.csv</c>.</summary>
    public static void Save(IReadOnlyList<EvalResult> results, string prefix)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(prefix))!);
        WriteCsv(ToDataFrame(results), prefix + ".csv");
        WriteCsv(Summary(results), prefix + "-summary.csv");
        var json = new JsonArray(results.Select(r => (JsonNode?)JsonSerializer.SerializeToNode(r, new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower })).ToArray());
        File.WriteAllText(prefix + ".json", json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    /// <summary>CSV with invariant number formatting and quoted text.</summary>
    public static void WriteCsv(DataFrame df, string path)
    {
        using var w = new StreamWriter(path);
        w.WriteLine(string.Join(",", df.Columns.Select(c => Quote(c.Name))));
        for (long i = 0; i < df.Rows.Count; i++)
            w.WriteLine(string.Join(",", df.Columns.Select(c => Cell(c[i]))));
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

    /// <summary>The summary as text rows: task, length, then each model's accuracy in %.</summary>
    public static List<string[]> SummaryRows(IReadOnlyList<EvalResult> results)
    {
        var df = Summary(results);
        var rows = new List<string[]> { df.Columns.Select(c => c.Name).ToArray() };
        for (long i = 0; i < df.Rows.Count; i++)
            rows.Add(df.Columns.Select(c => c[i] is double d ? d.ToString("F1", CultureInfo.InvariantCulture) : Convert.ToString(c[i], CultureInfo.InvariantCulture) ?? "").ToArray());
        return rows;
    }
}
