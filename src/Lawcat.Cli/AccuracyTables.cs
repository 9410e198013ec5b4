using Lawcat.Evaluation;
using Spectre.Console;

namespace Lawcat.Cli;

/// <summary>Prints evaluation results as the terminal tables every command shares: accuracy by length and by needle distance, with intervals and p-values.</summary>
static class AccuracyTables
{
    /// <summary>Both tables of <paramref name="results"/> (the distance table only when samples have a needle), then what the numbers are.</summary>
    public static void Print(IReadOnlyList<EvalResult> results, string title)
    {
        Write(EvalReport.SummaryRows(results), $"{title}, by prompt length");
        var distance = EvalReport.DistanceRows(results);
        if (distance.Count > 1) Write(distance, $"{title}, by needle distance (prompt tokens after the needle)");
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(AccuracyTable.Legend)}[/]");
    }

    static void Write(List<string[]> rows, string title)
    {
        var table = new Table().Title(Markup.Escape(title));
        foreach (var h in rows[0]) table.AddColumn(Markup.Escape(h));
        foreach (var row in rows.Skip(1)) table.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(table);
    }
}
