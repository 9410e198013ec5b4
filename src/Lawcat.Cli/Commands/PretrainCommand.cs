using System.ComponentModel;
using Lawcat.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary>
/// <c>lawcat pretrain --out DIR [--set key=value ...]</c>: trains a small byte-level Llama from scratch;
/// <c>lawcat pretrain --resume DIR</c> continues such a run exactly from its last checkpoint, so a long training can
/// run as several time-limited commands (<c>--time-limit</c>).
/// </summary>
sealed class PretrainCommand : Command<PretrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--out <DIR>"), Description("Folder for the model, tokenizer, training log and PRETRAIN.md.")]
        public string Out { get; init; } = "";

        [CommandOption("--config <FILE>"), Description("Options file (.json/.yaml) over the defaults.")]
        public string? Config { get; init; }

        [CommandOption("--set <KEY=VALUE>"), Description("Override one option, e.g. --set train.steps=500 (repeatable).")]
        public string[] Set { get; init; } = Array.Empty<string>();

        [CommandOption("--device <DEVICE>"), Description("Overrides the device option (cpu, cuda, cuda:N).")]
        public string? Device { get; init; }

        [CommandOption("--resume <DIR>"), Description("Continue the pretraining in DIR exactly from its last checkpoint (same options).")]
        public string? Resume { get; init; }

        [CommandOption("--time-limit <SECONDS>"), Description("Stop this many seconds after the command starts, with a checkpoint; continue with --resume.")]
        public double? TimeLimit { get; init; }

        [CommandOption("--print-options"), Description("Print the resolved options and exit.")]
        public bool PrintOptions { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        if (s.Resume is not null && s.Out != "" && Path.GetFullPath(s.Out) != Path.GetFullPath(s.Resume))
            throw new LawcatException($"--out {s.Out} and --resume {s.Resume}: a resumed run writes into its own folder; give only --resume.");
        if (s.TimeLimit is <= 0) throw new LawcatException($"--time-limit must be > 0 seconds, got {s.TimeLimit}.");
        var json = s.Resume is null ? OptionsIO.ToJson(new PretrainOptions()) : PretrainRun.SavedOptions(s.Resume);
        if (s.Config is not null) json = OptionsIO.Merge(json, OptionsIO.ReadFile(s.Config));
        var options = OptionsIO.FromJson<PretrainOptions>(OptionsIO.ApplySets(json, s.Set), "pretrain options");
        options = options with { Device = DeviceNames.Parse(s.Device ?? options.Device, s.Device is null ? "option device" : "--device") };
        if (s.PrintOptions)
        {
            Console.WriteLine(OptionsIO.ToJson(options).ToJsonString(OptionsIO.Json));
            return 0;
        }
        var folder = s.Resume ?? s.Out;
        if (folder == "") throw new LawcatException("--out DIR is required (or --resume DIR to continue a run).");
        var device = Cli.Device(options.Device);
        var command = "lawcat pretrain " + string.Join(" ", Environment.GetCommandLineArgs().Skip(2).Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var ctrlC = Cli.CtrlC();
        using var timeUp = new CancellationTokenSource();
        if (s.TimeLimit is double limit) timeUp.CancelAfter(TimeSpan.FromSeconds(limit));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ctrlC, timeUp.Token);
        PretrainResult result;
        using (var view = ProgressView.Start(Array.Empty<JobPhase>()))
            result = PretrainRun.Run(options, folder, command, device, view, view.Log, stop.Token, resume: s.Resume is not null);
        if (result.Interrupted)
        {
            AnsiConsole.MarkupLine($"[yellow]stopped at update {result.Result.Steps} of {options.Train.Steps} ({(ctrlC.IsCancellationRequested ? "Ctrl-C" : "time limit")}); " +
                $"continue with:[/] lawcat pretrain --resume {Markup.Escape(folder)}");
            return ctrlC.IsCancellationRequested ? 130 : 0;
        }
        var passkey = result.PasskeyAccuracy is double a ? $", passkey at {options.SequenceLength} tokens {a * 100:F1}% ({options.PasskeyEvalSamples} samples)" : "";
        var stopped = result.Result.StoppedEarly ? $" (stopped early at update {result.Result.Steps}: the held-out loss had plateaued)" : "";
        AnsiConsole.MarkupLine($"done in {result.Seconds:F0} s{stopped}: final loss {result.Result.LastLoss:F3}, held-out {result.Result.BestEvalLoss:F3}{passkey}");
        AnsiConsole.MarkupLine($"model folder: {Markup.Escape(Path.GetFullPath(result.Folder))}");
        return 0;
    }
}
