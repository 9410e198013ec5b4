using System.ComponentModel;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Training;
using Lawcat.Visualization;
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

        [CommandOption("--force"), Description("With --out, start a new run in a folder that holds another run (its metrics and checkpoints are deleted).")]
        public bool Force { get; init; }

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
        if (options.Teacher is not null && !Directory.Exists(options.Teacher))
            throw new LawcatException($"{(s.Teacher is not null ? "--teacher" : "option teacher")} {options.Teacher}: folder not found; expected a Hugging Face model folder (config.json, model.safetensors, tokenizer.json).");
        var runDir = s.Resume ?? s.Out ?? Path.Combine("runs", $"distill-{DateTime.Now:yyyyMMdd-HHmmss}");
        if (s.Resume is null) ClaimRunFolder(runDir, s.Force);
        RunOutputs.RequireWritable(runDir, s.Resume is null ? "--out" : "--resume");
        var device = Cli.Device(options.Device);
        var ctrlC = Cli.CtrlC();
        DistillResult result;
        TimeSpan took;
        string teacher;
        using (var view = ProgressView.Start(Plan(options)))
        {
            var run = new DistillationRun(options, runDir, view, view.Log);
            teacher = run.TeacherFolder;
            result = run.Run(device, s.Resume is not null, r => view.Sample($"passkey {r.Model}"), ctrlC);
            took = view.Elapsed;
        }
        Console.WriteLine();
        Summarize(result, options, teacher, took);
        return result.Interrupted ? 130 : 0;
    }

    /// <summary>
    /// Refuses a run folder that holds another run unless <paramref name="force"/>, which deletes that run's metrics and
    /// checkpoints so that the new run does not continue them.
    /// </summary>
    static void ClaimRunFolder(string runDir, bool force)
    {
        var folder = new RunFolder(runDir);
        var found = folder.RunFiles();
        if (found.Count == 0) return;
        if (!force)
            throw new LawcatException($"--out {runDir}: already holds a run ({string.Join(", ", found)}); continue it with --resume {runDir}, " +
                "start over with --force (deletes its metrics and checkpoints), or choose another --out.");
        folder.ClearRun();
    }

    /// <summary>The job's phases for the progress display: the stages that run, then passkey evaluation per model.</summary>
    static List<JobPhase> Plan(DistillOptions o)
    {
        var plan = new List<JobPhase>();
        int seq = o.Data.SequenceLength;
        if (o.Stage1.Steps > 0) plan.Add(JobPhase.Training("stage 1", o.Stage1.Steps, (double)o.Stage1.BatchSize * o.Stage1.GradientAccumulation * seq));
        if (o.Stage2.Steps > 0) plan.Add(JobPhase.Training("stage 2", o.Stage2.Steps, (double)o.Stage2.BatchSize * o.Stage2.GradientAccumulation * seq));
        if (o.PasskeyEval is { } pe)
        {
            var lengths = pe.LengthMultiples.SelectMany(m => Enumerable.Repeat(m * seq, pe.Samples)).ToList();
            if (pe.Teacher) plan.Add(JobPhase.Evaluation("passkey teacher", lengths));
            plan.Add(JobPhase.Evaluation("passkey student", lengths));
        }
        return plan;
    }

    /// <summary>
    /// The run's options, built in one order: the preset (or the resumed run's options.json), then --config, then
    /// --set, then the typed flags as typed values; validated once, at the end.
    /// </summary>
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
        var options = OptionsIO.FromJson<DistillOptions>(OptionsIO.ApplySets(json, s.Set), s.Config ?? "options");
        if (s.Teacher is not null) options = options with { Teacher = s.Teacher };
        if (s.Data.Length > 0) options = options with { Data = options.Data with { Files = s.Data } };
        if (s.Device is not null) options = options with { Device = DeviceNames.Parse(s.Device, "--device") };
        if (s.Dtype is not null) options = options with { Dtype = DTypeNames.Normalize(s.Dtype, "--dtype") };
        return options.Validate();
    }

    static void Summarize(DistillResult r, DistillOptions o, string teacher, TimeSpan took)
    {
        var console = Terminal.Out();
        if (r.Interrupted)
        {
            console.MarkupLine($"[yellow]interrupted; resume with:[/] lawcat distill --resume {Markup.Escape(r.RunDir)}");
            return;
        }
        PrintSummary(console, r, o, teacher, took);
        RunOutputs.Write(r.RunDir,
            () => TrainingFigures.Save(r.RunDir).Concat(r.Passkey.Count == 0 ? Array.Empty<string>() : EvalPlots.Save(r.Passkey, r.RunDir, "passkey", depthGrid: false)),
            new[]
            {
                (Path.Combine(r.RunDir, "passkey.csv"), "one row per sample"),
                (Path.Combine(r.RunDir, "metrics.jsonl"), "one line per update"),
                (Path.Combine(r.RunDir, "options.json"), "every option, for --resume or --config"),
            });
    }

    /// <summary>
    /// What a finished run did, at the width of <paramref name="console"/>: layers converted, each stage's updates and
    /// losses, where the teacher and the student are, then the passkey tables.
    /// </summary>
    internal static void PrintSummary(IAnsiConsole console, DistillResult r, DistillOptions o, string teacher, TimeSpan took)
    {
        Terminal.WriteWrapped(console, $"distilled in {StatusLine.Time(took)}: {r.Conversion.ConvertedLayers.Count} layers converted to LAWCAT ({r.Conversion.NewParameters:N0} new parameters)");
        static string Stage(StageResult s) =>
            $"{s.Steps} updates{(s.StoppedEarly ? " (stopped early: the held-out loss had plateaued)" : "")}, loss {s.LastLoss:G4}, best eval {s.BestEvalLoss:G4}";
        var rows = new List<(string, string)> { ("teacher", RunOutputs.Shown(teacher)) };
        if (r.Stage1 is not null) rows.Add(("stage 1", Stage(r.Stage1)));
        if (r.Stage2 is not null) rows.Add(("stage 2", Stage(r.Stage2)));
        rows.Add(("student", RunOutputs.Shown(r.Checkpoint)));
        // Continuation lines start under the value, so the labels stay a column of their own.
        foreach (var (key, value) in rows) Terminal.WriteWrapped(console, $"  {key,-8} {value}", indent: 11);
        if (r.Passkey.Count == 0) return;
        console.WriteLine();
        AccuracyTables.Print(console, r.Passkey, $"distilled at {o.Data.SequenceLength} tokens");
        Terminal.WriteWrapped(console, $"the same samples: lawcat eval passkey --seed {o.PasskeyEval!.Seed}");
    }
}
