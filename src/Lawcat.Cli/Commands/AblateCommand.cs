using System.ComponentModel;
using Lawcat.Ablation;
using Lawcat.Distillation;
using Lawcat.Visualization;
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
        Console.WriteLine($"grid {s.Grid}: {grid.Variants.Count} variants, {grid.Variants.Count - pending.Count} finished earlier; folder {RunOutputs.Shown(folder)}");
        var ctrlC = Cli.CtrlC();
        AblationOutcome outcome;
        TimeSpan took;
        using (var view = ProgressView.Start(pending.SelectMany(Plan)))
        {
            outcome = new AblationRunner(grid, folder, view.Log, view).Run(device, (variant, r) => view.Sample($"{variant.Name}: passkey {r.Model}"), ctrlC);
            took = view.Elapsed;
        }
        Console.WriteLine();
        var console = Terminal.Out();
        var files = AblationFigures.Save(outcome, w => console.MarkupLine($"[yellow]warning: {Markup.Escape(w)}[/]"));
        Print(console, outcome);
        Console.WriteLine($"ran for {StatusLine.Time(took)}; table and plots:");
        foreach (var file in files) Console.WriteLine($"  {RunOutputs.Shown(file)}");
        if (!outcome.Interrupted) return 0;
        console.MarkupLine($"[yellow]interrupted; resume with the same command:[/] {Markup.Escape($"lawcat ablate {s.Grid} --out {folder}")}");
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

    /// <summary>A variant's phases for the progress display, named as the runner reports them ("VARIANT: stage 1", "VARIANT: passkey student").</summary>
    static IEnumerable<JobPhase> Plan(GridVariant v)
    {
        var o = v.Options;
        int seq = o.Data.SequenceLength;
        if (o.Stage1.Steps > 0) yield return JobPhase.Training($"{v.Name}: stage 1", o.Stage1.Steps, (double)o.Stage1.BatchSize * o.Stage1.GradientAccumulation * seq);
        if (o.Stage2.Steps > 0) yield return JobPhase.Training($"{v.Name}: stage 2", o.Stage2.Steps, (double)o.Stage2.BatchSize * o.Stage2.GradientAccumulation * seq);
        if (o.PasskeyEval is not { } pe) yield break;
        var lengths = pe.LengthMultiples.SelectMany(m => Enumerable.Repeat(m * seq, pe.Samples)).ToList();
        if (pe.Teacher) yield return JobPhase.Evaluation($"{v.Name}: passkey teacher", lengths);
        yield return JobPhase.Evaluation($"{v.Name}: passkey student", lengths);
    }

    /// <summary>
    /// The grid's results at the width of <paramref name="console"/>: each variant's new parameters and stage-1 loss,
    /// then per variant and prompt length the student's passkey accuracy with its interval and McNemar's test against
    /// the default (the grid file has each variant's changes; the CSV and JSON files keep full precision), then what
    /// the numbers are.
    /// </summary>
    internal static void Print(IAnsiConsole console, AblationOutcome outcome)
    {
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        var variants = new Table();
        variants.AddColumn("variant");
        variants.AddColumn(Terminal.Column("new params"));
        variants.AddColumn(Terminal.Column("stage-1 loss"));
        foreach (var v in outcome.Grid.Variants)
        {
            var run = outcome.Variants.FirstOrDefault(x => x.Variant.Name == v.Name);
            variants.AddRow(Markup.Escape(v.Name), run?.Summary.NewParameters.ToString("N0", inv) ?? "not run", run?.Stage1HeldOutLoss?.ToString("G4", inv) ?? "");
        }
        Terminal.WriteTable(console, variants, "ablation: variants");

        var rows = AblationReport.ByLength(outcome);
        bool manyTasks = rows.Select(r => r.Task).Distinct().Count() > 1;
        var accuracy = new Table();
        accuracy.AddColumn("variant");
        foreach (var header in new[] { "length", "n", "accuracy", "p", "only v/d" }) accuracy.AddColumn(Terminal.Column(header));
        var names = rows.SelectMany(r => r.Models.Select(m => m.Model)).Distinct()
            .OrderBy(n => n == AblationReport.Teacher ? -1 : outcome.Grid.Variants.ToList().FindIndex(v => v.Name == n)).ToList();
        foreach (var name in names)
        {
            bool first = true;
            foreach (var row in rows.Where(r => r.Models.Any(m => m.Model == name)))
            {
                var p = row.Models.First(m => m.Model == name).Accuracy;
                var test = row.Tests.FirstOrDefault(t => t.Model == name);
                var length = manyTasks ? $"{row.Task} {row.Group}" : row.Group;
                var pValue = test is not null ? AccuracyTables.P(test.Test.PValue) : name == outcome.Grid.Default.Name ? "default" : "";
                accuracy.AddRow(new[] { first ? name : "", length, p.Trials.ToString(inv), AccuracyTables.Accuracy(p), pValue,
                    test is null ? "" : AccuracyTables.Discordant(test.Test) }.Select(Markup.Escape).ToArray());
                first = false;
            }
        }
        Terminal.WriteTable(console, accuracy, "ablation: passkey accuracy (%) of each student by prompt length");
        var tests = rows.SelectMany(r => r.Tests).Select(t => t.Test).ToList();
        Terminal.WriteWrapped(console, "Accuracy: % of the n samples answered right, [low, high] its Wilson 95% interval. " +
            (tests.Count == 0 ? "" : $"p: McNemar's test of each variant against the default{(outcome.Grid.Default.Name == "default" ? "" : $" ({outcome.Grid.Default.Name})")} on the same samples, " +
                $"{AccuracyTables.TestKind(tests)}; only v/d: samples only the variant / only the default answered right. ") +
            "Stage-1 loss: the best held-out loss of stage 1 (1000 × per-layer attention-output MSE).");
    }
}
