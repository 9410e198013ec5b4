using System.Globalization;
using System.Text.Json.Nodes;
using Lawcat.IO;
using Lawcat.Statistics;

namespace Lawcat.Evaluation;

/// <summary>One row of an accuracy table: a task and a group of samples (a prompt length or a needle-distance bin).</summary>
/// <param name="Task">The task.</param>
/// <param name="Group">The group's label (the length, or the distance bin).</param>
/// <param name="Order">Sort key of the group (the length, or the bin's lower edge).</param>
/// <param name="Models">Each model's accuracy on the group, in the order the models first appear.</param>
/// <param name="Tests">Each model but the reference against the reference, paired on identical samples.</param>
public sealed record AccuracyRow(string Task, string Group, int Order, IReadOnlyList<(string Model, Proportion Accuracy)> Models, IReadOnlyList<PairedTest> Tests);

/// <summary>
/// Accuracy tables with statistics: every accuracy with its sample count and Wilson 95% interval, and every model
/// compared with a reference model (the teacher when there is one) by McNemar's test on the samples both answered.
/// Rows by prompt length, or by needle-distance bin (<see cref="DistanceBins"/>).
/// </summary>
public static class AccuracyTable
{
    /// <summary>The reference of comparisons: the model named "teacher" if any, else the first.</summary>
    public static string Reference(IEnumerable<EvalResult> results)
    {
        var models = results.Select(r => r.Model).Distinct().ToList();
        return models.Contains("teacher") ? "teacher" : models.FirstOrDefault() ?? "";
    }

    /// <summary>One row per task and target length.</summary>
    public static List<AccuracyRow> ByLength(IReadOnlyList<EvalResult> results, string? reference = null) =>
        Rows(results, r => (r.TargetLength.ToString(CultureInfo.InvariantCulture), r.TargetLength), reference);

    /// <summary>One row per task and needle-distance bin, over the results that have a needle distance.</summary>
    public static List<AccuracyRow> ByDistance(IReadOnlyList<EvalResult> results, string? reference = null)
    {
        var withNeedle = results.Where(r => r.NeedleDistance is not null).ToList();
        if (withNeedle.Count == 0) return new List<AccuracyRow>();
        var bins = DistanceBins.For(withNeedle.Select(r => r.TargetLength), withNeedle.Max(r => r.NeedleDistance!.Value));
        return Rows(withNeedle, r =>
        {
            var bin = DistanceBins.Of(bins, r.NeedleDistance!.Value);
            return (bin.Label, bin.Low);
        }, reference);
    }

    static List<AccuracyRow> Rows(IReadOnlyList<EvalResult> results, Func<EvalResult, (string Label, int Order)> group, string? reference)
    {
        reference ??= Reference(results);
        var models = results.Select(r => r.Model).Distinct().ToList();
        return results.GroupBy(r => (r.Task, Group: group(r))).OrderBy(g => g.Key.Task, StringComparer.Ordinal).ThenBy(g => g.Key.Group.Order)
            .Select(g =>
            {
                var byModel = models.Select(m => (Model: m, Results: g.Where(r => r.Model == m).ToList())).Where(x => x.Results.Count > 0).ToList();
                var refResults = byModel.FirstOrDefault(x => x.Model == reference).Results;
                var tests = refResults is null ? new List<PairedTest>()
                    : byModel.Where(x => x.Model != reference).Select(x => PairedComparison.Compare(x.Model, x.Results, reference, refResults)).OfType<PairedTest>().ToList();
                return new AccuracyRow(g.Key.Task, g.Key.Group.Label, g.Key.Group.Order,
                    byModel.Select(x => (x.Model, Proportion.Of(x.Results.Select(r => r.Score)))).ToList(), tests);
            }).ToList();
    }

    /// <summary>
    /// The rows as a table: task, the group column (the group's number with <paramref name="numericGroup"/>, else
    /// its label and the number as <c>GROUP_low</c>), then per model its accuracy (%), the interval's bounds (%) and n,
    /// then per comparison its p-value, test and discordant counts.
    /// </summary>
    public static ResultTable ToTable(IReadOnlyList<AccuracyRow> rows, string groupColumn, bool numericGroup)
    {
        var models = rows.SelectMany(r => r.Models.Select(m => m.Model)).Distinct().ToList();
        var tests = rows.SelectMany(r => r.Tests.Select(t => (t.Model, t.Reference))).Distinct().ToList();
        Proportion? Cell(AccuracyRow r, string m) => r.Models.FirstOrDefault(x => x.Model == m).Accuracy;
        PairedTest? Test(AccuracyRow r, (string Model, string Reference) t) => r.Tests.FirstOrDefault(x => x.Model == t.Model && x.Reference == t.Reference);
        var columns = new List<TableColumn>
        {
            TableColumn.Of("task", rows.Select(r => r.Task)),
        };
        if (numericGroup) columns.Add(TableColumn.Of(groupColumn, rows.Select(r => r.Order)));
        else
        {
            columns.Add(TableColumn.Of(groupColumn, rows.Select(r => r.Group)));
            columns.Add(TableColumn.Of($"{groupColumn}_low", rows.Select(r => r.Order)));
        }
        foreach (var m in models)
        {
            columns.Add(TableColumn.Of(m, rows.Select(r => Cell(r, m)?.Rate * 100)));
            columns.Add(TableColumn.Of($"{m}_low", rows.Select(r => Cell(r, m)?.Wilson95.Low * 100)));
            columns.Add(TableColumn.Of($"{m}_high", rows.Select(r => Cell(r, m)?.Wilson95.High * 100)));
            columns.Add(TableColumn.Of($"{m}_n", rows.Select(r => Cell(r, m)?.Trials)));
        }
        foreach (var t in tests)
        {
            var name = $"{t.Model}_vs_{t.Reference}";
            columns.Add(TableColumn.Of($"p_{name}", rows.Select(r => Test(r, t)?.Test.PValue)));
            columns.Add(TableColumn.Of($"test_{name}", rows.Select(r => Test(r, t)?.Test.MethodName)));
            columns.Add(TableColumn.Of($"only_{t.Model}_{name}", rows.Select(r => Test(r, t)?.Test.OnlyFirst)));
            columns.Add(TableColumn.Of($"only_{t.Reference}_{name}", rows.Select(r => Test(r, t)?.Test.OnlySecond)));
        }
        return new ResultTable(columns);
    }

    /// <summary>
    /// The rows as text for a terminal or Markdown: a header, then per row the task, the group, each model's
    /// <c>accuracy [low, high]</c> in %, n, and each comparison's p-value with its test.
    /// </summary>
    public static List<string[]> ToText(IReadOnlyList<AccuracyRow> rows, string groupColumn)
    {
        var models = rows.SelectMany(r => r.Models.Select(m => m.Model)).Distinct().ToList();
        var tests = rows.SelectMany(r => r.Tests.Select(t => (t.Model, t.Reference))).Distinct().ToList();
        var header = new List<string> { "task", groupColumn };
        header.AddRange(models.Select(m => $"{m} % [95% CI]"));
        header.Add("n");
        header.AddRange(tests.Select(t => $"p {t.Model} vs {t.Reference}"));
        var text = new List<string[]> { header.ToArray() };
        foreach (var r in rows)
        {
            var cells = new List<string> { r.Task, r.Group };
            cells.AddRange(models.Select(m => r.Models.FirstOrDefault(x => x.Model == m).Accuracy is { } p ? Percent(p) : ""));
            cells.Add(Counts(r.Models.Select(m => m.Accuracy.Trials)));
            cells.AddRange(tests.Select(t => r.Tests.FirstOrDefault(x => x.Model == t.Model && x.Reference == t.Reference) is { } test ? PValue(test) : ""));
            text.Add(cells.ToArray());
        }
        return text;
    }

    /// <summary>The rows as JSON: one object per row with each model's accuracy, interval and n, and each comparison.</summary>
    public static JsonArray ToJson(IReadOnlyList<AccuracyRow> rows, string groupColumn) => new(rows.Select(r => (JsonNode?)new JsonObject
    {
        ["task"] = r.Task,
        [groupColumn] = r.Group,
        ["models"] = new JsonArray(r.Models.Select(m => (JsonNode?)new JsonObject
        {
            ["model"] = m.Model,
            ["n"] = m.Accuracy.Trials,
            ["correct"] = m.Accuracy.Successes,
            ["accuracy"] = m.Accuracy.Rate,
            ["wilson95_low"] = m.Accuracy.Wilson95.Low,
            ["wilson95_high"] = m.Accuracy.Wilson95.High,
        }).ToArray()),
        ["comparisons"] = new JsonArray(r.Tests.Select(t => (JsonNode?)new JsonObject
        {
            ["model"] = t.Model,
            ["reference"] = t.Reference,
            ["pairs"] = t.Pairs,
            ["only_model_right"] = t.Test.OnlyFirst,
            ["only_reference_right"] = t.Test.OnlySecond,
            ["p_value"] = t.Test.PValue,
            ["test"] = t.Test.MethodName,
        }).ToArray()),
    }).ToArray());

    /// <summary>An accuracy as <c>35.0 [18.1, 56.7]</c> (%).</summary>
    public static string Percent(Proportion p) => string.Create(CultureInfo.InvariantCulture, $"{p.Rate * 100:F1} {p.Wilson95.Percent()}");

    /// <summary>A p-value with its test and discordant counts: <c>0.021 (exact, 1/9)</c>.</summary>
    public static string PValue(PairedTest t) => string.Create(CultureInfo.InvariantCulture,
        $"{FormatP(t.Test.PValue)} ({t.Test.MethodName}, {t.Test.OnlyFirst}/{t.Test.OnlySecond})");

    /// <summary>A p-value with three significant digits, small ones in exponent form.</summary>
    public static string FormatP(double p) => p < 1e-3 ? p.ToString("0.##e+00", CultureInfo.InvariantCulture) : p.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>A footnote saying what the intervals and p-values are.</summary>
    public const string Legend =
        "accuracy in % with its Wilson 95% interval; p: McNemar's test on identical samples (exact binomial below 25 discordant pairs, " +
        "else chi-square with continuity correction), with the counts right only for the model / only for the reference";

    static string Counts(IEnumerable<int> counts)
    {
        var distinct = counts.Distinct().ToList();
        return string.Join("/", distinct.Select(c => c.ToString(CultureInfo.InvariantCulture)));
    }
}
