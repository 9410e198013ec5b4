using System.ComponentModel;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary>
/// <c>lawcat distill</c>: the workbench's main job. Without --teacher it distills the embedded tiny teacher on the CPU
/// with the <see cref="DistillOptions.Tiny"/> preset; with --teacher it uses the reference recipe (<see cref="DistillOptions.Paper"/>).
/// </summary>
sealed class DistillCommand : Command<DistillCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--teacher <DIR>"), Description("Teacher model folder (e.g. Llama-3.2-1B). Default: the embedded tiny teacher.")]
        public string? Teacher { get; init; }

        [CommandOption("--data <FILE>"), Description(".txt/.jsonl training file (repeatable). Default: the bundled public-domain books.")]
        public string[] Data { get; init; } = Array.Empty<string>();

        [CommandOption("--config <FILE>"), Description("Options file (.json/.yaml) over the preset.")]
        public string? Config { get; init; }

        [CommandOption("--set <KEY=VALUE>"), Description("Override one option, e.g. --set stage1.steps=100 (repeatable; see --print-options).")]
        public string[] Set { get; init; } = Array.Empty<string>();

        [CommandOption("--device <DEVICE>"), Description("cpu, cuda or cuda:N (overrides the options).")]
        public string? Device { get; init; }

        [CommandOption("--dtype <DTYPE>"), Description("Teacher weights: float32 or bfloat16 (overrides the options).")]
        public string? Dtype { get; init; }

        [CommandOption("--out <DIR>"), Description("Run folder. Default: runs/distill-TIMESTAMP.")]
        public string? Out { get; init; }

        [CommandOption("--resume <DIR>"), Description("Continue the run in DIR from its last checkpoint (same options).")]
        public string? Resume { get; init; }

        [CommandOption("--print-options"), Description("Print the resolved options as JSON and exit.")]
        public bool PrintOptions { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        var options = Resolve(s);
        if (s.PrintOptions)
        {
            Console.WriteLine(OptionsIO.ToJson(options).ToJsonString(OptionsIO.Json));
            return 0;
        }
        var runDir = s.Resume ?? s.Out ?? Path.Combine("runs", $"distill-{DateTime.Now:yyyyMMdd-HHmmss}");
        var device = Cli.Device(options.Device);
        var ctrlC = Cli.CtrlC();
        void Log(string m) => AnsiConsole.MarkupLine($"[grey]{Markup.Escape(m)}[/]");
        var run = new DistillationRun(options, runDir, null, Log);
        var result = ProgressView.Run((progress, count) =>
        {
            var withProgress = new DistillationRun(options, runDir, progress, Log);
            int total = options.PasskeyEval is null ? 0 : options.PasskeyEval.LengthMultiples.Length * options.PasskeyEval.Samples * (options.PasskeyEval.Teacher ? 2 : 1), done = 0;
            return withProgress.Run(device, s.Resume is not null, _ => count("passkey evaluation", ++done, total), ctrlC);
        });
        Summarize(result, options, run.TeacherFolder);
        return result.Interrupted ? 130 : 0;
    }

    static DistillOptions Resolve(Settings s)
    {
        var preset = s.Teacher is null ? DistillOptions.Tiny : DistillOptions.Paper;
        var json = OptionsIO.ToJson(preset);
        if (s.Resume is not null)
        {
            var saved = Path.Combine(s.Resume, "options.json");
            if (!File.Exists(saved)) throw new LawcatException($"--resume {s.Resume}: no options.json there; is it a distill run folder?");
            json = OptionsIO.ReadFile(saved);
        }
        if (s.Config is not null) json = OptionsIO.Merge(json, OptionsIO.ReadFile(s.Config));
        var sets = new List<string>(s.Set);
        if (s.Teacher is not null) sets.Add($"teacher={System.Text.Json.JsonSerializer.Serialize(s.Teacher)}");
        if (s.Data.Length > 0) sets.Add($"data.files={System.Text.Json.JsonSerializer.Serialize(s.Data)}");
        if (s.Device is not null) sets.Add($"device={s.Device}");
        if (s.Dtype is not null) sets.Add($"dtype={s.Dtype}");
        return DistillOptions.FromJson(OptionsIO.ApplySets(json, sets), s.Config ?? "options");
    }

    static void Summarize(DistillResult r, DistillOptions o, string teacher)
    {
        if (r.Interrupted)
        {
            AnsiConsole.MarkupLine($"[yellow]interrupted; resume with:[/] lawcat distill --resume {Markup.Escape(r.RunDir)}");
            return;
        }
        var t = new Table().Title("distillation").AddColumns("", "");
        t.AddRow("teacher", Markup.Escape(teacher));
        t.AddRow("LAWCAT layers", $"{r.Conversion.ConvertedLayers.Count} ({r.Conversion.NewParameters:N0} new parameters)");
        static string Stage(StageResult s) =>
            $"{s.Steps} updates{(s.StoppedEarly ? " (stopped early: the held-out loss had plateaued)" : "")}, loss {s.LastLoss:G4}, best eval {s.BestEvalLoss:G4}";
        if (r.Stage1 is not null) t.AddRow("stage 1", Markup.Escape(Stage(r.Stage1)));
        if (r.Stage2 is not null) t.AddRow("stage 2", Markup.Escape(Stage(r.Stage2)));
        t.AddRow("student checkpoint", Markup.Escape(r.Checkpoint));
        t.AddRow("metrics", Markup.Escape(Path.Combine(r.RunDir, "metrics.jsonl")));
        AnsiConsole.Write(t);
        if (r.Passkey.Count == 0) return;
        var rows = EvalReport.SummaryRows(r.Passkey);
        var p = new Table().Title($"passkey retrieval accuracy (%), distilled at {o.Data.SequenceLength} tokens");
        foreach (var h in rows[0]) p.AddColumn(h);
        foreach (var row in rows.Skip(1)) p.AddRow(row.Select(Markup.Escape).ToArray());
        AnsiConsole.Write(p);
        AnsiConsole.MarkupLine($"per-sample results: {Markup.Escape(Path.Combine(r.RunDir, "passkey.csv"))}");
    }
}
