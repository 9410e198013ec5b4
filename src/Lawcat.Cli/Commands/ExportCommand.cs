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

        [CommandOption("--force"), Description("Replace --out when it is not empty (the old folder goes only once the new one is complete).")]
        public bool Force { get; init; }

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
        if (s.Model is null && s.Student is null) throw new LawcatException("--student CHECKPOINT is required (or --model, a folder exported from a student).");
        RequireSafeOutput(outDir, s.ModelFolder, s.Force);
        var full = Path.GetFullPath(outDir).TrimEnd(Path.DirectorySeparatorChar);
        RunOutputs.RequireWritable(Path.GetDirectoryName(full)!, "--out");
        var (model, tokenizerFolder) = Load(s);
        // Everything is written to a sibling folder first: a failure leaves --out as it was, never half replaced.
        var staging = $"{full}.partial-{Environment.ProcessId}";
        try
        {
            if (s.Format == "hf") HfExport.Write(model, staging, tokenizerFolder);
            else StudentModel.Export(model, staging, tokenizerFolder);
        }
        catch
        {
            Directory.Delete(staging, recursive: true);
            throw;
        }
        ReplaceFolder(staging, full);
        var loadWith = s.Format == "hf" ? "AutoModelForCausalLM.from_pretrained(DIR, trust_remote_code=True), StudentFolder.Load or --model" : "StudentFolder.Load or --model";
        Console.WriteLine($"wrote {RunOutputs.Shown(outDir)}; load it with {loadWith}.");
        if (s.ReferenceLogits is not null)
        {
            ReferenceOutputs.Write(model, s.ReferenceLogits, s.ReferenceLength);
            Console.WriteLine($"wrote {RunOutputs.Shown(s.ReferenceLogits)}: logits for 2 x {s.ReferenceLength} ids and {ReferenceOutputs.NewTokens} greedy tokens.");
        }
        return 0;
    }

    /// <summary>
    /// Refuses an output folder that is, holds or lies inside the model (teacher) folder, which also gives the tokenizer
    /// files: writing there would overwrite the teacher's weights and config. A non-empty folder needs --force.
    /// </summary>
    static void RequireSafeOutput(string outDir, string modelFolder, bool force)
    {
        var output = Resolved(outDir);
        var model = Resolved(modelFolder);
        bool Within(string inner, string outer) => inner == outer || inner.StartsWith(outer + Path.DirectorySeparatorChar, StringComparison.Ordinal);
        if (Within(output, model) || Within(model, output))
            throw new LawcatException($"--out {outDir}: {(output == model ? "is" : Within(output, model) ? "lies inside" : "holds")} the model folder {modelFolder} " +
                "(its weights, config and tokenizer files); choose a folder outside it.");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any() && !force)
            throw new LawcatException($"--out {outDir}: the folder is not empty; pass --force to replace it, or choose another --out.");
        if (File.Exists(outDir)) throw new LawcatException($"--out {outDir}: is a file; expected a folder.");
    }

    /// <summary>A full path with symbolic links followed, where the path or its parent exists (a link to the teacher is the teacher).</summary>
    static string Resolved(string path)
    {
        var full = Path.GetFullPath(path);
        if (Path.GetPathRoot(full) == full) return full;
        full = full.TrimEnd(Path.DirectorySeparatorChar);
        var parent = Path.GetDirectoryName(full)!;
        var resolvedParent = Resolved(parent);
        var joined = Path.Combine(resolvedParent, Path.GetFileName(full));
        var target = Directory.Exists(joined) ? new DirectoryInfo(joined).ResolveLinkTarget(returnFinalTarget: true) : null;
        return target is null ? joined : Path.GetFullPath(target.FullName).TrimEnd(Path.DirectorySeparatorChar);
    }

    /// <summary>Moves the complete <paramref name="staging"/> folder to <paramref name="target"/>; an existing target is moved aside first and deleted last.</summary>
    static void ReplaceFolder(string staging, string target)
    {
        string? old = null;
        if (Directory.Exists(target))
        {
            old = $"{target}.old-{Environment.ProcessId}";
            Directory.Move(target, old);
        }
        Directory.Move(staging, target);
        if (old is not null) Directory.Delete(old, recursive: true);
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
