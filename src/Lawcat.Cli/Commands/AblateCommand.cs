using System.ComponentModel;
using Lawcat.Ablation;
using Lawcat.Notebooks;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary>
/// <c>lawcat ablate GRID</c>: every variant of an ablation grid distilled and evaluated (one run folder each, under one
/// grid folder), then one table with intervals and paired tests against the default. Running the same command again
/// skips finished variants and resumes an interrupted one.
/// </summary>
sealed class AblateCommand : Command<AblateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<GRID>"), Description("Grid file (.yaml/.json): 'base' options and 'variants' (name → settings); e.g. data/ablations/default.yaml.")]
        public string Grid { get; init; } = "";

        [CommandOption("--out <DIR>"), Description("Grid folder. Default: runs/ablate-GRIDNAME (rerun the same command to resume).")]
        public string? Out { get; init; }

        [CommandOption("--set <KEY=VALUE>"), Description("Override one option of every variant, e.g. --set stage1.steps=100 (repeatable; keys as lawcat distill --print-options).")]
        public string[] Set { get; init; } = Array.Empty<string>();

        [CommandOption("--device <DEVICE>"), Description("cpu, cuda or cuda:N (overrides the options).")]
        public string? Device { get; init; }

        [CommandOption("--only <LIST>"), Description("Run only these variants (comma-separated names), e.g. one per process on a large GPU; then run without --only to build the table from the finished variants.")]
        public string? Only { get; init; }

        [CommandOption("--print-commands"), Description("Print each variant's equivalent lawcat distill command line and exit.")]
        public bool PrintCommands { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        var sets = s.Device is null ? s.Set : s.Set.Append($"device={s.Device}").ToArray();
        var grid = AblationGrid.Load(s.Grid, sets);
        if (s.PrintCommands)
        {
            foreach (var v in grid.Variants) Console.WriteLine($"# {v.Name}\n{DistillCommandLine.Format(v.Options)}");
            return 0;
        }
        var folder = s.Out ?? Path.Combine("runs", "ablate-" + Path.GetFileNameWithoutExtension(s.Grid));
        if (s.Only is not null) return RunOnly(grid, folder, s.Only.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
        var device = Cli.Device(grid.Default.Options.Device);
        var pending = grid.Variants.Where(v => !AblationRunner.IsFinished(folder, v)).ToList();
        AnsiConsole.MarkupLine(Markup.Escape($"grid {s.Grid}: {grid.Variants.Count} variants, {grid.Variants.Count - pending.Count} finished earlier; folder {folder}"));
        var ctrlC = Cli.CtrlC();
        AblationOutcome outcome;
        using (var view = ProgressView.Start(pending.SelectMany(v => DistillCommand.Plan(v.Options))))
            outcome = new AblationRunner(grid, folder, view.Log, view).Run(device, r => view.Sample($"passkey {r.Model}"), ctrlC);
        var files = AblationReport.Save(outcome, w => AnsiConsole.MarkupLine($"[yellow]warning: {Markup.Escape(w)}[/]"));
        Print(outcome);
        AnsiConsole.MarkupLine(Markup.Escape($"table and plots: {string.Join(", ", files.Select(Path.GetFileName))} in {folder}"));
        if (!outcome.Interrupted) return 0;
        AnsiConsole.MarkupLine($"[yellow]interrupted; resume with the same command:[/] {Markup.Escape($"lawcat ablate {s.Grid} --out {folder}")}");
        return 130;
    }

    /// <summary>Runs the variants named in <paramref name="names"/> into <paramref name="folder"/>, without the table.</summary>
    static int RunOnly(AblationGrid grid, string folder, string[] names)
    {
        var unknown = names.Where(n => grid.Variants.All(v => v.Name != n)).ToList();
        if (unknown.Count > 0)
            throw new LawcatException($"--only: no variant named '{unknown[0]}' in {grid.Source}; expected one of: {string.Join(", ", grid.Variants.Select(v => v.Name))}.");
        var chosen = grid with { Variants = grid.Variants.Where(v => names.Contains(v.Name)).ToList() };
        void Log(string m) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]");
        var outcome = new AblationRunner(chosen, folder, Log).Run(Cli.Device(chosen.Default.Options.Device), cancel: Cli.CtrlC());
        AnsiConsole.MarkupLine(Markup.Escape($"ran {string.Join(", ", names)} in {folder}; run without --only to build the table"));
        return outcome.Interrupted ? 130 : 0;
    }

    /// <summary>The summary table without the changes column (the grid file has them), then what the numbers are.</summary>
    static void Print(AblationOutcome outcome)
    {
        var summary = AblationReport.Summary(outcome);
        var columns = summary.Columns.Where(c => c.Name != "changes").ToList();
        var table = new Table().Title("ablation: passkey accuracy (%) [95% CI] and p against the default");
        foreach (var c in columns) table.AddColumn(Markup.Escape(c.Name));
        for (long i = 0; i < summary.Rows.Count; i++) table.AddRow(columns.Select(c => Markup.Escape(c[i]?.ToString() ?? "")).ToArray());
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine($"[grey]{Markup.Escape(AblationReport.Legend)}[/]");
    }
}
