using System.ComponentModel;
using System.Diagnostics;
using Lawcat.Notebooks;
using Lawcat.Interactive;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary>
/// <c>lawcat notebook run NOTEBOOK.ipynb --out EXECUTED.ipynb [--scale ci|full]</c>: runs a notebook headlessly, cell by
/// cell, in this process (the kernel the test suite uses), and writes the notebook with its outputs. Stops at the first
/// failing cell, writes what ran (the error included) and exits 1.
/// </summary>
sealed class NotebookRunCommand : AsyncCommand<NotebookRunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<NOTEBOOK>"), Description("The notebook to run (.ipynb).")]
        public string Notebook { get; init; } = "";

        [CommandOption("--out <FILE>"), Description("Where to write the executed notebook. Default: runs/notebooks/NAME.ipynb.")]
        public string? Out { get; init; }

        [CommandOption("--scale <SCALE>"), Description($"ci (a few updates and samples, seconds per cell) or full (the real experiment). Default: {NotebookScale.Variable}, else full.")]
        public string? Scale { get; init; }
    }

    public override async Task<int> ExecuteAsync(CommandContext context, Settings s, CancellationToken cancel)
    {
        if (!File.Exists(s.Notebook)) throw new LawcatException($"{s.Notebook}: notebook not found.");
        var outPath = s.Out ?? Path.Combine("runs", "notebooks", Path.GetFileName(s.Notebook));
        if (Path.GetFullPath(outPath) == Path.GetFullPath(s.Notebook))
            throw new LawcatException($"--out {outPath}: that is the notebook itself; write the executed copy elsewhere (notebooks are committed without outputs).");
        var environment = new Dictionary<string, string?> { [NotebookScale.Variable] = ScaleValue(s.Scale) };
        AnsiConsole.MarkupLine(Markup.Escape($"notebook: {s.Notebook}, {(environment[NotebookScale.Variable] == "ci" ? "ci" : "full")} scale"));
        var clock = Stopwatch.StartNew();
        var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };   // the kernel captures Console.Out while a cell runs
        NotebookExecution run;
        try
        {
            run = await NotebookRunner.RunAsync(s.Notebook, environment,
                onCellStart: (i, n, code) => stdout.WriteLine($"[{i + 1}/{n}] {FirstLine(code)}"),
                onCellDone: c => stdout.WriteLine($"[{c.Index + 1}] {(c.Error is null ? "done" : "FAILED")} in {c.Seconds:F1} s"),
                echo: stdout.Write);
        }
        catch (FormatException e) { throw new LawcatException(e.Message); }
        catch (System.Text.Json.JsonException e) { throw new LawcatException($"{s.Notebook}: not valid JSON ({e.Message.Split('\n')[0]})."); }
        run.Save(outPath);
        var summary = $"{run.Cells.Count} code cells ran in {clock.Elapsed.TotalSeconds:F0} s; executed notebook: {outPath}";
        if (run.Failure is CellRun failed)
            throw new LawcatException($"{s.Notebook}: code cell {failed.Index + 1} failed: {FirstLine(failed.Error!)} ({summary}, with the error).");
        AnsiConsole.MarkupLine(Markup.Escape(summary));
        return 0;
    }

    /// <summary>The value of the scale variable while the notebook runs: "ci", or null (unset) for the full experiment.</summary>
    static string? ScaleValue(string? option)
    {
        var (value, source) = option is not null ? (option, "--scale") : (Environment.GetEnvironmentVariable(NotebookScale.Variable) ?? "", NotebookScale.Variable);
        return value.ToLowerInvariant() switch
        {
            "ci" => "ci",
            "full" or "" => null,
            _ => throw new LawcatException($"{source} '{value}': expected ci or full."),
        };
    }

    static string FirstLine(string text)
    {
        var line = text.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0) ?? "";
        return line.Length > 70 ? line[..69] + "…" : line;
    }
}
