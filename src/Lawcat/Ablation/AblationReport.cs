using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Evaluation;
using Lawcat.Statistics;
using Lawcat.Visualization;
using Microsoft.Data.Analysis;
using ScottPlot;

namespace Lawcat.Ablation;

/// <summary>
/// The comparison table of a grid: per variant (and the teacher, evaluated once with the default) its changes, new
/// parameters, best stage-1 held-out loss and, per prompt length, the student's passkey accuracy with its n and Wilson
/// 95% interval and McNemar's test against the default on identical samples; as Markdown, CSV (one row per variant
/// and length), JSON (with accuracy by needle distance too) and plots.
/// </summary>
public static class AblationReport
{
    /// <summary>The teacher's name in the tables.</summary>
    public const string Teacher = "teacher (softmax)";

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Every variant's passkey results under its name, and the teacher's (from the default) as <see cref="Teacher"/>.</summary>
    public static List<EvalResult> Results(AblationOutcome outcome) =>
        outcome.Variants.SelectMany(v => v.Passkey.Where(r => r.Model == "student").Select(r => r with { Model = v.Variant.Name })
                .Concat(v.Variant == outcome.Grid.Default ? v.Passkey.Where(r => r.Model == "teacher").Select(r => r with { Model = Teacher }) : Enumerable.Empty<EvalResult>()))
            .ToList();

    /// <summary>Accuracy rows by length, every model compared with the default variant.</summary>
    public static List<AccuracyRow> ByLength(AblationOutcome outcome) => AccuracyTable.ByLength(Results(outcome), outcome.Grid.Default.Name);

    /// <summary>Accuracy rows by needle-distance bin, every model compared with the default variant.</summary>
    public static List<AccuracyRow> ByDistance(AblationOutcome outcome) => AccuracyTable.ByDistance(Results(outcome), outcome.Grid.Default.Name);

    /// <summary>
    /// One row per variant and length (the teacher first): variant, changes, new parameters, best stage-1 held-out
    /// loss, length, n, accuracy (%), interval (%), and the p-value, test and discordant counts against the default.
    /// </summary>
    public static DataFrame Table(AblationOutcome outcome)
    {
        var rows = Lines(outcome).ToList();
        return new DataFrame(
            new StringDataFrameColumn("variant", rows.Select(r => r.Name)),
            new StringDataFrameColumn("changes", rows.Select(r => r.Changes)),
            new Int64DataFrameColumn("new_params", rows.Select(r => r.Variant?.Summary.NewParameters)),
            new DoubleDataFrameColumn("stage1_eval_loss", rows.Select(r => r.Variant?.Stage1HeldOutLoss)),
            new Int32DataFrameColumn("length", rows.Select(r => r.Length)),
            new Int32DataFrameColumn("n", rows.Select(r => r.Accuracy?.Trials)),
            new DoubleDataFrameColumn("accuracy", rows.Select(r => r.Accuracy?.Rate * 100)),
            new DoubleDataFrameColumn("accuracy_low", rows.Select(r => r.Accuracy?.Wilson95.Low * 100)),
            new DoubleDataFrameColumn("accuracy_high", rows.Select(r => r.Accuracy?.Wilson95.High * 100)),
            new DoubleDataFrameColumn("p_vs_default", rows.Select(r => r.Test?.Test.PValue)),
            new StringDataFrameColumn("test", rows.Select(r => r.Test?.Test.MethodName)),
            new Int32DataFrameColumn("only_variant_right", rows.Select(r => r.Test?.Test.OnlyFirst)),
            new Int32DataFrameColumn("only_default_right", rows.Select(r => r.Test?.Test.OnlySecond)));
    }

    /// <summary>
    /// The table as text, one row per variant (the teacher first): its changes, new parameters and stage-1 held-out
    /// loss, then per length its accuracy with interval (%) and its p-value against the default; the headers give n.
    /// </summary>
    public static DataFrame Summary(AblationOutcome outcome)
    {
        var rows = ByLength(outcome);
        var lengths = rows.Select(r => (r.Task, r.Order)).Distinct().ToList();
        bool manyTasks = lengths.Select(l => l.Task).Distinct().Count() > 1;
        var names = Names(outcome);
        VariantOutcome? Run(string name) => outcome.Variants.FirstOrDefault(v => v.Variant.Name == name);
        var columns = new List<DataFrameColumn>
        {
            new StringDataFrameColumn("variant", names),
            new StringDataFrameColumn("changes", names.Select(n => Run(n) is { } v ? Changes(v.Variant) : "")),
            new StringDataFrameColumn("new params", names.Select(n => Run(n)?.Summary.NewParameters.ToString("N0", CultureInfo.InvariantCulture) ?? "")),
            new StringDataFrameColumn("stage-1 held-out loss", names.Select(n => Run(n)?.Stage1HeldOutLoss?.ToString("G4", CultureInfo.InvariantCulture) ?? "")),
        };
        foreach (var (task, length) in lengths)
        {
            var row = rows.First(r => r.Task == task && r.Order == length);
            var counts = row.Models.Select(m => m.Accuracy.Trials).Distinct();
            var label = $"{(manyTasks ? task + " " : "")}{length}";
            columns.Add(new StringDataFrameColumn($"{label} (n={string.Join("/", counts)})",
                names.Select(n => row.Models.FirstOrDefault(m => m.Model == n).Accuracy is { } p ? AccuracyTable.Percent(p) : "")));
            columns.Add(new StringDataFrameColumn($"p {label}",
                names.Select(n => row.Tests.FirstOrDefault(t => t.Model == n) is { } test ? AccuracyTable.PValue(test) : n == outcome.Grid.Default.Name ? "(default)" : "")));
        }
        return new DataFrame(columns);
    }

    /// <summary>What the summary's numbers are, for under the table.</summary>
    public const string Legend =
        "Passkey accuracy (%) of each student with its Wilson 95% interval; p: McNemar's test against the default variant on identical samples " +
        "(exact binomial below 25 discordant pairs, else chi-square with continuity correction), with the counts right only for the row / only for the default. " +
        "Stage-1 held-out loss: the best 1000 × per-layer attention-output MSE on the held-out chunks.";

    /// <summary>The summary in Markdown, with <see cref="Legend"/> under it.</summary>
    public static string Markdown(AblationOutcome outcome) => Tables.Markdown(Summary(outcome)) + "\n" + Legend + "\n";

    /// <summary>The grid's results as JSON: per variant its changes, losses, run folder and accuracy by length and by needle distance with tests against the default.</summary>
    public static JsonObject Json(AblationOutcome outcome)
    {
        var byLength = ByLength(outcome);
        var byDistance = ByDistance(outcome);
        JsonArray Cells(IReadOnlyList<AccuracyRow> rows, string name, string group) => new(rows
            .Where(r => r.Models.Any(m => m.Model == name))
            .Select(r =>
            {
                var p = r.Models.First(m => m.Model == name).Accuracy;
                var test = r.Tests.FirstOrDefault(t => t.Model == name);
                return (JsonNode?)new JsonObject
                {
                    ["task"] = r.Task, [group] = r.Group, ["n"] = p.Trials, ["accuracy"] = p.Rate,
                    ["wilson95_low"] = p.Wilson95.Low, ["wilson95_high"] = p.Wilson95.High,
                    ["p_vs_default"] = test?.Test.PValue, ["test"] = test?.Test.MethodName,
                    ["only_variant_right"] = test?.Test.OnlyFirst, ["only_default_right"] = test?.Test.OnlySecond,
                };
            }).ToArray());
        return new JsonObject
        {
            ["grid"] = outcome.Grid.Source,
            ["default"] = outcome.Grid.Default.Name,
            ["complete"] = !outcome.Interrupted && outcome.Variants.Count == outcome.Grid.Variants.Count,
            ["variants"] = new JsonArray(Names(outcome).Select(name =>
            {
                var v = outcome.Variants.FirstOrDefault(x => x.Variant.Name == name);
                return (JsonNode?)new JsonObject
                {
                    ["name"] = name,
                    ["changes"] = v is null ? null : new JsonArray(v.Variant.Sets.Select(s => (JsonNode?)s).ToArray()),
                    ["run_dir"] = v?.RunDir,
                    ["new_params"] = v?.Summary.NewParameters,
                    ["stage1_eval_loss"] = v?.Stage1HeldOutLoss,
                    ["by_length"] = Cells(byLength, name, "length"),
                    ["by_distance"] = Cells(byDistance, name, "distance"),
                };
            }).ToArray()),
        };
    }

    /// <summary>Passkey accuracy by length, one line per variant and the teacher, with Wilson 95% intervals.</summary>
    public static Plot AccuracyByLength(AblationOutcome outcome) => Charts.AccuracyByLength(Results(outcome), "ablation: passkey accuracy by length");

    /// <summary>Passkey accuracy by needle distance, one line per variant and the teacher, with Wilson 95% intervals.</summary>
    public static Plot AccuracyByDistance(AblationOutcome outcome) => Charts.AccuracyByDistance(Results(outcome), "ablation: passkey accuracy by needle distance");

    /// <summary>Stage-1 held-out loss against the update, one line per variant (log scale).</summary>
    public static Plot Stage1HeldOut(AblationOutcome outcome) =>
        Charts.RunCurves(outcome.Variants.Select(v => (v.Variant.Name, v.Metrics)), 1, "eval_loss", "stage 1: held-out attention-transfer loss (MSE × 1000)");

    /// <summary>
    /// Writes <c>ablation.md</c>, <c>ablation.csv</c>, <c>ablation.json</c> and the plots (PNG) into the grid folder
    /// and returns their paths. A machine without fonts still gets the tables: plots that fail are reported through
    /// <paramref name="warn"/> and skipped.
    /// </summary>
    public static List<string> Save(AblationOutcome outcome, Action<string>? warn = null)
    {
        var files = new List<string>();
        string Write(string file, string text)
        {
            var path = Path.Combine(outcome.Folder, file);
            EvalReport.WriteText(path, text);
            return path;
        }
        files.Add(Write("ablation.md", Markdown(outcome)));
        var csv = Path.Combine(outcome.Folder, "ablation.csv");
        EvalReport.WriteCsv(Table(outcome), csv);
        files.Add(csv);
        files.Add(Write("ablation.json", Json(outcome).ToJsonString(Indented)));
        var plots = new List<(string File, Func<Plot> Make)> { ("ablation-stage1-eval.png", () => Stage1HeldOut(outcome)) };
        if (Results(outcome).Count > 0)
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

    /// <summary>The teacher (when the default evaluated it), then the variants in grid order.</summary>
    static List<string> Names(AblationOutcome outcome)
    {
        var names = outcome.Grid.Variants.Select(v => v.Name).ToList();
        if (Results(outcome).Any(r => r.Model == Teacher)) names.Insert(0, Teacher);
        return names;
    }

    static string Changes(GridVariant v) => v.Sets.Count == 0 ? "(none)" : string.Join(", ", v.Sets);

    /// <summary>One CSV line's worth: a model at a length (or without lengths when nothing was evaluated).</summary>
    sealed record Line(string Name, string Changes, VariantOutcome? Variant, int? Length, Proportion? Accuracy, PairedTest? Test);

    static IEnumerable<Line> Lines(AblationOutcome outcome)
    {
        var rows = ByLength(outcome);
        foreach (var name in Names(outcome))
        {
            var v = outcome.Variants.FirstOrDefault(x => x.Variant.Name == name);
            var changes = v is null ? "" : Changes(v.Variant);
            var cells = rows.Where(r => r.Models.Any(m => m.Model == name)).ToList();
            if (cells.Count == 0) yield return new Line(name, changes, v, null, null, null);
            foreach (var r in cells)
                yield return new Line(name, changes, v, r.Order, r.Models.First(m => m.Model == name).Accuracy, r.Tests.FirstOrDefault(t => t.Model == name));
        }
    }
}
