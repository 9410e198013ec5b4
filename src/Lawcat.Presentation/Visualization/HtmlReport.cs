using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Evaluation;
using Lawcat.Training;
using ScottPlot;

namespace Lawcat.Visualization;

/// <summary>
/// One self-contained HTML page for a run folder of <c>lawcat distill</c> or <c>lawcat eval</c>: the options, the
/// training curves and stage summary from <c>metrics.jsonl</c>, and for every results file (<c>*.json</c> arrays of
/// evaluated samples) an accuracy table, accuracy by length and depth × length heatmaps. Figures are inline PNGs, so
/// the page works offline and can be mailed as one file.
/// </summary>
public static class HtmlReport
{
    static readonly JsonSerializerOptions ResultsJson = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Writes the report of <paramref name="runDir"/> to <paramref name="path"/> (default RUN_DIR/report.html) and returns its path.</summary>
    public static string Write(string runDir, string? path = null)
    {
        path ??= Path.Combine(runDir, "report.html");
        var temporary = path + ".tmp";
        File.WriteAllText(temporary, Build(runDir));
        File.Move(temporary, path, overwrite: true);
        return path;
    }

    /// <summary>The report's HTML.</summary>
    public static string Build(string runDir)
    {
        if (!Directory.Exists(runDir)) throw new LawcatException($"{runDir}: run folder not found.");
        var name = Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar));
        var body = new StringBuilder();
        var options = Path.Combine(runDir, "options.json");
        if (File.Exists(options))
            body.Append("<h2>Options</h2>\n<details><summary>options.json</summary><pre>").Append(Encode(File.ReadAllText(options))).Append("</pre></details>\n");
        var metrics = Path.Combine(runDir, "metrics.jsonl");
        if (File.Exists(metrics)) Training(body, MetricsLog.Read(metrics));
        foreach (var file in Directory.GetFiles(runDir, "*.json").Order(StringComparer.Ordinal))
            if (ReadResults(file) is { Count: > 0 } results) Evaluation(body, Path.GetFileNameWithoutExtension(file), results);
        if (body.Length == 0)
            throw new LawcatException($"{runDir}: nothing to report (no options.json, metrics.jsonl or evaluation results .json); is it a distill or eval run folder?");
        return $"""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>LAWCAT run {Encode(name)}</title>
            <style>
            body {'{'} font-family: sans-serif; max-width: 1100px; margin: 2em auto; color: #222; {'}'}
            table {'{'} border-collapse: collapse; margin: 1em 0; {'}'}
            th, td {'{'} border: 1px solid #ccc; padding: 3px 8px; {'}'}
            th {'{'} background: #f3f3f3; {'}'}
            img {'{'} max-width: 100%; {'}'}
            pre {'{'} background: #f7f7f7; padding: 1em; overflow-x: auto; {'}'}
            </style></head>
            <body>
            <h1>LAWCAT run: {Encode(name)}</h1>
            <p>{Encode(Path.GetFullPath(runDir))}, reported {DateTime.Now.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)}</p>
            {body}</body></html>
            """;
    }

    static void Training(StringBuilder body, IReadOnlyList<JsonObject> records)
    {
        body.Append("<h2>Training</h2>\n<table><tr><th>stage</th><th>updates</th><th>last loss</th><th>best eval loss</th></tr>\n");
        var stages = records.GroupBy(r => r["stage"]?.GetValue<int>() ?? 0).OrderBy(g => g.Key).ToList();
        foreach (var stage in stages)
        {
            var losses = stage.Where(r => r["loss"] is not null).ToList();
            var evals = stage.Where(r => r["eval_loss"] is not null).Select(r => r["eval_loss"]!.GetValue<double>()).ToList();
            body.Append($"<tr><td>{stage.Key}</td><td>{losses.Count}</td><td>{Number(losses.LastOrDefault()?["loss"]?.GetValue<double>())}</td>" +
                        $"<td>{Number(evals.Count > 0 ? evals.Min() : null)}</td></tr>\n");
        }
        body.Append("</table>\n");
        foreach (var stage in TrainingFigures.Stages(records))
            body.Append(Image(Charts.StageCurves(records, stage, TrainingFigures.Title(stage), TrainingFigures.LogScale(stage))));
    }

    static void Evaluation(StringBuilder body, string name, List<EvalResult> results)
    {
        body.Append($"<h2>Evaluation: {Encode(name)}</h2>\n").Append(Tables.Html(EvalReport.Summary(results))).Append('\n');
        body.Append($"<p>{Encode(AccuracyTable.Legend)}.</p>\n");
        body.Append(Image(Charts.AccuracyByLength(results, $"{name}: accuracy by length")));
        if (results.Any(r => r.NeedleDistance is not null))
        {
            body.Append("<h3>By needle distance (prompt tokens after the needle)</h3>\n").Append(Tables.Html(EvalReport.DistanceSummary(results))).Append('\n');
            body.Append(Image(Charts.AccuracyByDistance(results, $"{name}: accuracy by needle distance")));
        }
        foreach (var cell in results.GroupBy(r => (r.Model, r.Task)))
            if (EvalPlots.OnDepthGrid(cell.ToList()))
                body.Append(Image(Charts.DepthLengthHeatmap(cell.ToList(), $"{cell.Key.Task}: {cell.Key.Model}")));
    }

    /// <summary>The samples of an evaluation results file, or null when the file is something else.</summary>
    static List<EvalResult>? ReadResults(string file)
    {
        try
        {
            return JsonNode.Parse(File.ReadAllText(file)) is JsonArray array && array.Count > 0 && array[0] is JsonObject first && first.ContainsKey("score")
                ? array.Deserialize<List<EvalResult>>(ResultsJson)
                : null;
        }
        catch (JsonException) { return null; }
    }

    static string Image(Plot plot) => $"<p><img alt=\"{Encode(plot.Axes.Title.Label.Text)}\" src=\"data:image/png;base64,{Convert.ToBase64String(Charts.Png(plot))}\"></p>\n";

    static string Number(double? v) => v is double d ? d.ToString("G4", CultureInfo.InvariantCulture) : "";

    static string Encode(string s) => WebUtility.HtmlEncode(s);
}
