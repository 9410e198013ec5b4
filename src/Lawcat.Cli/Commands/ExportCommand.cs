using System.ComponentModel;
using Lawcat.Distillation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary><c>lawcat export --student CKPT [--out DIR]</c>; without --out it writes under runs/, beside the runs it comes from.</summary>
sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--out <DIR>"), Description("Folder to write (config.json with a lawcat section, model.safetensors, tokenizer files). Default: runs/export-TIMESTAMP.")]
        public string? Out { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        if (s.Student is null) throw new LawcatException("--student CHECKPOINT is required.");
        var outDir = s.Out ?? Path.Combine("runs", $"export-{DateTime.Now:yyyyMMdd-HHmmss}");
        var model = StudentModel.Load(s.Student, s.Model, Cli.DType(s.Dtype), Cli.Device(s.Device));
        StudentModel.Export(model, outDir, s.ModelFolder);
        Console.WriteLine($"wrote {RunOutputs.Shown(outDir)}; load it with LlamaModel.FromPretrained or --model.");
        return 0;
    }
}
