using System.Globalization;
using Lawcat.Evaluation;
using Lawcat.Statistics;
using Spectre.Console;

namespace Lawcat.Cli;

/// <summary>
/// Prints evaluation results as the terminal tables every command shares: accuracy by length and by needle distance,
/// with intervals, p-values and discordant counts, compact enough for 80 columns (the CSV and JSON files keep full
/// precision). One table per task, its name in the title; what the columns are in a footnote under the tables.
/// </summary>
static class AccuracyTables
{
    /// <summary>
    /// The tables of <paramref name="results"/> by prompt length and by needle distance (when samples have a needle),
    /// titled "TASK: accuracy (%) by …" and <paramref name="note"/> if given, then the footnote.
    /// </summary>
    public static void Print(IAnsiConsole console, IReadOnlyList<EvalResult> results, string? note = null)
    {
        var suffix = note is null ? "" : ", " + note;
        var byLength = AccuracyTable.ByLength(results);
        var byDistance = AccuracyTable.ByDistance(results);
        foreach (var task in byLength.GroupBy(r => r.Task))
            Write(console, task.ToList(), $"{task.Key}: accuracy (%) by prompt length{suffix}", "length");
        foreach (var task in byDistance.GroupBy(r => r.Task))
            Write(console, task.ToList(), $"{task.Key}: accuracy (%) by needle distance{suffix}", "distance");
        var footnote = Footnote(byLength.Concat(byDistance).ToList());
        if (byDistance.Count > 0) footnote += " Distance: prompt tokens after the needle.";
        Terminal.WriteWrapped(console, footnote);
    }

    static void Write(IAnsiConsole console, List<AccuracyRow> rows, string title, string group)
    {
        var models = rows.SelectMany(r => r.Models.Select(m => m.Model)).Distinct().ToList();
        var tests = Comparisons(rows);
        var table = new Table();
        table.AddColumn(Terminal.Column(group));
        foreach (var m in models) table.AddColumn(Terminal.Column(m));
        table.AddColumn(Terminal.Column("n"));
        foreach (var t in tests)
        {
            table.AddColumn(Terminal.Column(tests.Count == 1 ? "p" : $"p {t.Model}"));
            table.AddColumn(Terminal.Column(OnlyHeader(t, tests.Count == 1)));
        }
        foreach (var r in rows)
        {
            var cells = new List<string> { r.Group };
            cells.AddRange(models.Select(m => r.Models.FirstOrDefault(x => x.Model == m).Accuracy is { } p ? Accuracy(p) : ""));
            cells.Add(string.Join("/", r.Models.Select(m => m.Accuracy.Trials).Distinct()));
            foreach (var t in tests)
            {
                var test = r.Tests.FirstOrDefault(x => x.Model == t.Model && x.Reference == t.Reference);
                cells.Add(test is null ? "" : P(test.Test.PValue));
                cells.Add(test is null ? "" : Discordant(test.Test));
            }
            table.AddRow(cells.Select(Markup.Escape).ToArray());
        }
        Terminal.WriteTable(console, table, title);
    }

    /// <summary>The comparisons that appear in <paramref name="rows"/>, in order of appearance.</summary>
    static List<(string Model, string Reference)> Comparisons(IEnumerable<AccuracyRow> rows) =>
        rows.SelectMany(r => r.Tests.Select(t => (t.Model, t.Reference))).Distinct().ToList();

    /// <summary>"only s/t" (initials) for the only comparison of a table when they tell the two apart, else "only MODEL/REFERENCE".</summary>
    public static string OnlyHeader((string Model, string Reference) t, bool initials) =>
        initials && char.ToLowerInvariant(t.Model[0]) != char.ToLowerInvariant(t.Reference[0])
            ? $"only {char.ToLowerInvariant(t.Model[0])}/{char.ToLowerInvariant(t.Reference[0])}"
            : $"only {t.Model}/{t.Reference}";

    /// <summary>
    /// What the tables of <paramref name="rows"/> show: accuracy with its interval, and per comparison the test that was
    /// run (exact or chi-square, as the rows needed) and what the discordant counts are.
    /// </summary>
    static string Footnote(List<AccuracyRow> rows)
    {
        var text = "Accuracy: % of the n samples answered right, [low, high] its Wilson 95% interval.";
        var tests = Comparisons(rows);
        foreach (var t in tests)
        {
            var results = rows.SelectMany(r => r.Tests).Where(x => x.Model == t.Model && x.Reference == t.Reference).Select(x => x.Test).ToList();
            text += $" {(tests.Count == 1 ? "p" : $"p {t.Model}")}: McNemar's test of the {t.Model} against the {t.Reference} " +
                $"on the same samples, {TestKind(results)}; {OnlyHeader(t, tests.Count == 1)}: samples only the {t.Model} / only the {t.Reference} answered right.";
        }
        return text;
    }

    /// <summary>Which McNemar test <paramref name="results"/> used: exact binomial, chi-square, or which where.</summary>
    public static string TestKind(IReadOnlyCollection<McNemarResult> results)
    {
        const string exact = "exact binomial", chi = "chi-square with continuity correction";
        if (results.All(r => r.Method == McNemarMethod.ExactBinomial)) return $"{exact} (fewer than {McNemarTest.ExactBelow} samples differ)";
        if (results.All(r => r.Method != McNemarMethod.ExactBinomial)) return $"{chi} ({McNemarTest.ExactBelow} or more samples differ)";
        return $"{exact} where fewer than {McNemarTest.ExactBelow} samples differ, else {chi}";
    }

    /// <summary>An accuracy and its Wilson 95% interval in %, compact: <c>95 [76, 99]</c> (<see cref="Percent"/>).</summary>
    public static string Accuracy(Proportion p) => $"{Percent(p.Rate * 100)} [{Percent(p.Wilson95.Low * 100)}, {Percent(p.Wilson95.High * 100)}]";

    /// <summary>
    /// A percentage as a whole number, with decimals only where rounding would show 0 or 100 for a value that is
    /// neither (99.6 is <c>99.6</c>, not <c>100</c>).
    /// </summary>
    public static string Percent(double percent)
    {
        var whole = Math.Round(percent);
        if ((whole != 0 && whole != 100) || Math.Abs(percent - whole) < 1e-9) return whole.ToString("F0", CultureInfo.InvariantCulture);
        for (int decimals = 1; decimals < 3; decimals++)
        {
            var rounded = Math.Round(percent, decimals);
            if (rounded != 0 && rounded != 100) return rounded.ToString("F" + decimals, CultureInfo.InvariantCulture);
        }
        return percent.ToString("G2", CultureInfo.InvariantCulture);
    }

    /// <summary>A p-value in at most 7 characters: three significant digits (<c>0.125</c>), two in exponent form below 0.001 (<c>3.1e-05</c>).</summary>
    public static string P(double p) => p < 1e-3 ? p.ToString("0.0e-00", CultureInfo.InvariantCulture) : p.ToString("G3", CultureInfo.InvariantCulture);

    /// <summary>The discordant counts of a paired test: samples only the model / only the reference answered right (<c>0/16</c>).</summary>
    public static string Discordant(McNemarResult t) => string.Create(CultureInfo.InvariantCulture, $"{t.OnlyFirst}/{t.OnlySecond}");
}
