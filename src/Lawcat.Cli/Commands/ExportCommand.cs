using System.ComponentModel;
using Lawcat.Conversion;
using Lawcat.Distillation;
using Lawcat.Export;
using Lawcat.Llama;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Lawcat.Cli.Commands;

/// <summary><c>lawcat export --student CKPT [--out DIR] [--format lawcat|hf] [--reference-logits FILE]</c>; without --out it writes under runs/.</summary>
sealed class ExportCommand : Command<ExportCommand.Settings>
{
    public sealed class Settings : ModelSettings
    {
        [CommandOption("--out <DIR>"), Description("Folder to write (config.json, model.safetensors, tokenizer files). Default: runs/export-TIMESTAMP.")]
        public string? Out { get; init; }

        [CommandOption("--format <FORMAT>"), Description("lawcat: a folder this workbench loads (config.json with a lawcat section). hf: also loads in Hugging Face transformers (AutoModelForCausalLM.from_pretrained(DIR, trust_remote_code=True); PyTorch modeling files included)."), DefaultValue("lawcat")]
        public string Format { get; init; } = "lawcat";

        [CommandOption("--reference-logits <FILE>"), Description("Also write this workbench's logits and greedy tokens for fixed random ids to FILE (.safetensors), to compare an implementation of the export against (scripts/device/hf_export_check.py).")]
        public string? ReferenceLogits { get; init; }

        [CommandOption("--reference-length <N>"), Description("Tokens per row of --reference-logits."), DefaultValue(64)]
        public int ReferenceLength { get; init; } = 64;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        if (s.Format is not ("lawcat" or "hf")) throw new LawcatException($"--format '{s.Format}': expected lawcat or hf.");
        if (s.ReferenceLogits is not null && s.ReferenceLength < ReferenceOutputs.MinLength)
            throw new LawcatException($"--reference-length {s.ReferenceLength}: expected at least {ReferenceOutputs.MinLength} tokens.");
        var outDir = s.Out ?? Path.Combine("runs", $"export-{DateTime.Now:yyyyMMdd-HHmmss}");
        var (model, tokenizerFolder) = Load(s);
        if (s.Format == "hf") HfExport.Write(model, outDir, tokenizerFolder);
        else StudentModel.Export(model, outDir, tokenizerFolder);
        var loadWith = s.Format == "hf" ? "AutoModelForCausalLM.from_pretrained(DIR, trust_remote_code=True), LlamaModel.FromPretrained or --model" : "LlamaModel.FromPretrained or --model";
        Console.WriteLine($"wrote {RunOutputs.Shown(outDir)}; load it with {loadWith}.");
        if (s.ReferenceLogits is not null)
        {
            ReferenceOutputs.Write(model, s.ReferenceLogits, s.ReferenceLength);
            Console.WriteLine($"wrote {RunOutputs.Shown(s.ReferenceLogits)}: logits for 2 x {s.ReferenceLength} ids and {ReferenceOutputs.NewTokens} greedy tokens.");
        }
        return 0;
    }

    /// <summary>The student of --student, or a folder already exported from one (--model alone), and where its tokenizer files are.</summary>
    static (LlamaModel Model, string TokenizerFolder) Load(Settings s)
    {
        if (s.Student is not null) return (StudentModel.Load(s.Student, s.Model, Cli.DType(s.Dtype), Cli.Device(s.Device)), s.ModelFolder);
        if (s.Model is null) throw new LawcatException("--student CHECKPOINT is required (or --model, a folder exported from a student).");
        var model = StudentFolder.Load(s.Model, Cli.DType(s.Dtype), Cli.Device(s.Device));
        if (!LawcatConversion.LawcatLayers(model).Any())
            throw new LawcatException($"--model {s.Model} has no LAWCAT layers; pass --student CHECKPOINT (a distill run's checkpoint) to export a student.");
        return (model, s.Model);
    }
}
