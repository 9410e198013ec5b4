using System.ComponentModel;
using Lawcat.Training;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary><c>lawcat pretrain --out DIR [--set key=value ...]</c>: trains a small byte-level Llama from scratch.</summary>
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

        [CommandOption("--print-options"), Description("Print the resolved options and exit.")]
        public bool PrintOptions { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        var json = OptionsIO.ToJson(new PretrainOptions());
        if (s.Config is not null) json = OptionsIO.Merge(json, OptionsIO.ReadFile(s.Config));
        json = OptionsIO.ApplySets(json, s.Set.Concat(s.Device is null ? Array.Empty<string>() : new[] { $"device={s.Device}" }));
        var options = OptionsIO.FromJson<PretrainOptions>(json, "pretrain options");
        if (s.PrintOptions)
        {
            Console.WriteLine(json.ToJsonString(OptionsIO.Json));
            return 0;
        }
        if (s.Out == "") throw new LawcatException("--out DIR is required.");
        var device = Cli.Device(options.Device);
        var command = "lawcat pretrain " + string.Join(" ", Environment.GetCommandLineArgs().Skip(2).Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var ctrlC = Cli.CtrlC();
        PretrainResult result;
        using (var view = ProgressView.Start(Array.Empty<JobPhase>()))
            result = PretrainRun.Run(options, s.Out, command, device, view, view.Log, ctrlC);
        AnsiConsole.MarkupLine($"done in {result.Seconds:F0} s: final loss {result.Result.LastLoss:F3}, held-out {result.Result.BestEvalLoss:F3}, passkey at {options.SequenceLength} tokens {result.PasskeyAccuracy * 100:F1}%");
        AnsiConsole.MarkupLine($"model folder: {Markup.Escape(Path.GetFullPath(result.Folder))}");
        return 0;
    }
}
