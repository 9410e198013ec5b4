using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Evaluation;
using Lawcat.IO;
using Lawcat.Statistics;

namespace Lawcat.Ablation;

/// <summary>
/// The comparison table of a grid: per variant (and the teacher, evaluated once with the default) its changes, new
/// parameters, best stage-1 held-out loss and, per prompt length, the student's passkey accuracy with its n and Wilson
/// 95% interval and McNemar's test against the default on identical samples; as Markdown, CSV (one row per variant
/// and length) and JSON (with accuracy by needle distance too). Its plots are drawn by the presentation assembly.
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
    public static ResultTable Table(AblationOutcome outcome)
    {
        var rows = Lines(outcome).ToList();
        return new ResultTable(
            TableColumn.Of("variant", rows.Select(r => r.Name)),
            TableColumn.Of("changes", rows.Select(r => r.Changes)),
            TableColumn.Of("new_params", rows.Select(r => r.Variant?.Summary.NewParameters)),
            TableColumn.Of("stage1_eval_loss", rows.Select(r => r.Variant?.Stage1HeldOutLoss)),
            TableColumn.Of("length", rows.Select(r => r.Length)),
            TableColumn.Of("n", rows.Select(r => r.Accuracy?.Trials)),
            TableColumn.Of("accuracy", rows.Select(r => r.Accuracy?.Rate * 100)),
            TableColumn.Of("accuracy_low", rows.Select(r => r.Accuracy?.Wilson95.Low * 100)),
            TableColumn.Of("accuracy_high", rows.Select(r => r.Accuracy?.Wilson95.High * 100)),
            TableColumn.Of("p_vs_default", rows.Select(r => r.Test?.Test.PValue)),
            TableColumn.Of("test", rows.Select(r => r.Test?.Test.MethodName)),
            TableColumn.Of("only_variant_right", rows.Select(r => r.Test?.Test.OnlyFirst)),
            TableColumn.Of("only_default_right", rows.Select(r => r.Test?.Test.OnlySecond)));
    }

    /// <summary>
    /// The table as text, one row per variant (the teacher first): its changes, new parameters and stage-1 held-out
    /// loss, then per length its accuracy with interval (%) and its p-value against the default; the headers give n.
    /// </summary>
    public static ResultTable Summary(AblationOutcome outcome)
    {
        var rows = ByLength(outcome);
        var lengths = rows.Select(r => (r.Task, r.Order)).Distinct().ToList();
        bool manyTasks = lengths.Select(l => l.Task).Distinct().Count() > 1;
        var names = Names(outcome);
        VariantOutcome? Run(string name) => outcome.Variants.FirstOrDefault(v => v.Variant.Name == name);
        var columns = new List<TableColumn>
        {
            TableColumn.Of("variant", names),
            TableColumn.Of("changes", names.Select(n => Run(n) is { } v ? Changes(v.Variant) : "")),
            TableColumn.Of("new params", names.Select(n => Run(n)?.Summary.NewParameters.ToString("N0", CultureInfo.InvariantCulture) ?? "")),
            TableColumn.Of("stage-1 held-out loss", names.Select(n => Run(n)?.Stage1HeldOutLoss?.ToString("G4", CultureInfo.InvariantCulture) ?? "")),
        };
        foreach (var (task, length) in lengths)
        {
            var row = rows.First(r => r.Task == task && r.Order == length);
            var counts = row.Models.Select(m => m.Accuracy.Trials).Distinct();
            var label = $"{(manyTasks ? task + " " : "")}{length}";
            columns.Add(TableColumn.Of($"{label} (n={string.Join("/", counts)})",
                names.Select(n => row.Models.FirstOrDefault(m => m.Model == n).Accuracy is { } p ? AccuracyTable.Percent(p) : "")));
            columns.Add(TableColumn.Of($"p {label}",
                names.Select(n => row.Tests.FirstOrDefault(t => t.Model == n) is { } test ? AccuracyTable.PValue(test) : n == outcome.Grid.Default.Name ? "(default)" : "")));
        }
        return new ResultTable(columns);
    }

    /// <summary>What the summary's numbers are, for under the table.</summary>
    public const string Legend =
        "Passkey accuracy (%) of each student with its Wilson 95% interval; p: McNemar's test against the default variant on identical samples " +
        "(exact binomial below 25 discordant pairs, else chi-square with continuity correction), with the counts right only for the row / only for the default. " +
        "Stage-1 held-out loss: the best 1000 × per-layer attention-output MSE on the held-out chunks.";

    /// <summary>The summary in Markdown, with <see cref="Legend"/> under it.</summary>
    public static string Markdown(AblationOutcome outcome) => Summary(outcome).ToMarkdown() + "\n" + Legend + "\n";

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

    /// <summary>
    /// Writes <c>ablation.md</c>, <c>ablation.csv</c> and <c>ablation.json</c> into the grid folder and returns their
    /// paths.
    /// </summary>
    public static List<string> Save(AblationOutcome outcome)
    {
        string Write(string file, string text)
        {
            var path = Path.Combine(outcome.Folder, file);
            TextFiles.WriteWhole(path, text);
            return path;
        }
        return new List<string>
        {
            Write("ablation.md", Markdown(outcome)),
            Write("ablation.csv", Table(outcome).ToCsv()),
            Write("ablation.json", Json(outcome).ToJsonString(Indented)),
        };
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
