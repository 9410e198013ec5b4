using System.ComponentModel;
using System.Globalization;
using Lawcat.Conversion;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Lawcat.Visualization;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Lawcat.Cli.Commands;

/// <summary>Options shared by the long-context evaluations.</summary>
class EvalSettings : ModelSettings
{
    [CommandOption("--lengths <LIST>"), Description("Prompt lengths in tokens, e.g. 1k,2k,4k.")]
    public string? Lengths { get; init; }

    [CommandOption("--depths <N>"), Description("Evenly spaced needle depths per length (0 = drawn at random as the benchmark does)."), DefaultValue(0)]
    public int Depths { get; init; }

    [CommandOption("--samples <N>"), Description("Samples per length and depth."), DefaultValue(10)]
    public int Samples { get; init; } = 10;

    [CommandOption("--seed <N>"), Description("Seed of the samples; the same seed gives the same samples in every command (distill evaluates with passkey_eval.seed, also 0 by default)."), DefaultValue(0)]
    public int Seed { get; init; }

    [CommandOption("--out <DIR>"), Description("Folder for results (CSV, JSON, PNG). Default: runs/eval-TASK-TIMESTAMP. Each sample is recorded there as it finishes; the same command onto the same folder continues an interrupted evaluation.")]
    public string? Out { get; init; }

    [CommandOption("--no-teacher"), Description("With --student, evaluate the student only.")]
    public bool NoTeacher { get; init; }

    [CommandOption("--chat-template"), Description("Wrap each prompt in the model's chat format as one user turn (instruction-tuned Llama 3 models; off for base models).")]
    public bool ChatTemplate { get; init; }

    [CommandOption("--system-prompt <TEXT>"), Description("With --chat-template, the system turn (BABILong's Llama-3.2 scripts use this one)."), DefaultValue(Lawcat.Evaluation.ChatTemplate.BabilongSystemPrompt)]
    public string SystemPrompt { get; init; } = Lawcat.Evaluation.ChatTemplate.BabilongSystemPrompt;

    /// <summary>The lengths asked for, or <paramref name="fallback"/>; "k" is <paramref name="kilo"/>.</summary>
    public int[] ParseLengths(int[] fallback, int kilo = 1024) => Lengths is null ? fallback : Cli.Lengths(Lengths, "--lengths", kilo);
}

/// <summary>Runs a plan on the teacher and/or student and reports.</summary>
abstract class EvalCommandBase<TSettings> : Command<TSettings> where TSettings : EvalSettings
{
    protected abstract string TaskName { get; }
    protected abstract IReadOnlyList<(IEvalGenerator Generator, int MaxNewTokens)> Generators(TSettings s);
    protected abstract int[] DefaultLengths { get; }

    /// <summary>The lengths to run the plans (whose own lengths are still empty) at: --lengths, else the defaults.</summary>
    protected virtual int[] Lengths(TSettings s, string folder, ITokenizer tokenizer, IReadOnlyList<EvalPlan> plans) =>
        s.ParseLengths(DefaultLengths);

    public override int Execute(CommandContext context, TSettings s, CancellationToken cancel)
    {
        if (s.Samples < 1) throw new LawcatException($"--samples must be ≥ 1, got {s.Samples}.");
        if (s.Depths < 0) throw new LawcatException($"--depths must be ≥ 0, got {s.Depths}.");
        var device = Cli.Device(s.Device);
        var dtype = Cli.DType(s.Dtype);
        var folder = s.ModelFolder;
        var tokenizer = BpeTokenizer.FromModelFolder(folder);
        var chat = s.ChatTemplate ? ChatTemplate.FromModelFolder(folder, s.SystemPrompt) : null;
        var depths = s.Depths == 0 ? new double?[] { null } : DepthGrid.Even(s.Depths).Select(d => (double?)d).ToArray();
        var models = new List<EvalModel>();
        if (s.Student is null || !s.NoTeacher) models.Add(EvalModel.Lazy("teacher", () => StudentFolder.Load(folder, dtype, device)));
        if (s.Student is not null) models.Add(EvalModel.Lazy("student", () => StudentModel.Load(s.Student, folder, dtype, device)));
        var plans = Generators(s).Select(g => new EvalPlan(g.Generator, Array.Empty<int>(), depths, s.Samples, g.MaxNewTokens, chat)).ToList();
        var lengths = Lengths(s, folder, tokenizer, plans);
        plans = plans.Select(p => p with { Lengths = lengths }).ToList();
        if (lengths.Length > 0)
            Cli.WarnPastContext(lengths.Max(), plans.Max(p => p.MaxNewTokens), LlamaConfig.FromFile(Path.Combine(folder, "config.json")).MaxPositionEmbeddings,
                "the longest prompt (--lengths) and the tokens generated",
                "the teacher is not expected to answer past it (a student's length generalization is measured there).");
        // The folder exists and takes writes before any sample runs: each sample's result goes there as soon as it is known.
        var outDir = s.Out ?? Path.Combine("runs", $"eval-{TaskName}-{DateTime.Now:yyyyMMdd-HHmmss}");
        RunOutputs.RequireWritable(outDir, "--out");
        using var journal = EvalJournal.Open(outDir, TaskName, EvalJournal.Options(s, TaskName, lengths));
        if (journal.Resumed > 0)
            Console.WriteLine($"continuing the evaluation in {RunOutputs.Shown(outDir)}: {journal.Resumed} samples already done ({RunOutputs.Shown(journal.Path)}).");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel, Cli.CtrlC());
        var phases = models.Select(m => JobPhase.Evaluation($"{TaskName} {m.Name}", plans.SelectMany(PromptLengths))).ToList();
        List<EvalResult> results;
        TimeSpan took;
        using (var view = ProgressView.Start(phases))
        {
            try
            {
                results = EvalSuite.Run(models, tokenizer, plans, r => view.Sample($"{TaskName} {r.Model}"), journal, cancel: stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                view.Dispose();
                Console.WriteLine($"interrupted: the samples done are kept in {RunOutputs.Shown(journal.Path)}; run the same command again to continue.");
                return 130;
            }
            took = view.Elapsed;
        }
        EvalReport.Save(results, Path.Combine(outDir, TaskName));
        var console = Terminal.Out();
        AccuracyTables.Print(console, results);
        var perSample = results.GroupBy(r => r.Model).Select(g => $"{g.Key} {g.Average(r => r.Seconds):F3} s/sample");
        Terminal.WriteWrapped(console, $"evaluated in {StatusLine.Time(took)}: {string.Join(", ", perSample)}");
        RunOutputs.Write(outDir, () => EvalPlots.Save(results, outDir, TaskName, s.Depths > 1), new[]
        {
            (Path.Combine(outDir, TaskName + ".csv"), "one row per sample"),
            (Path.Combine(outDir, TaskName + "-summary.csv"), "the table by prompt length"),
            (journal.Path, "one line per sample as it ran; the same command continues from it"),
        });
        return 0;
    }

    /// <summary>The prompt length of every sample of <paramref name="plan"/>, in the order they run.</summary>
    static IEnumerable<int> PromptLengths(EvalPlan plan) =>
        plan.Lengths.SelectMany(l => Enumerable.Repeat(l, plan.Depths.Count * plan.Samples));
}

sealed class EvalPasskeyCommand : EvalCommandBase<EvalSettings>
{
    protected override string TaskName => "passkey";
    protected override int[] DefaultLengths => new[] { 1024, 2048, 4096 };
    protected override IReadOnlyList<(IEvalGenerator, int)> Generators(EvalSettings s) => new (IEvalGenerator, int)[] { (new PasskeyGenerator(s.Seed), PasskeyGenerator.AnswerTokens) };
}

sealed class EvalNiahCommand : EvalCommandBase<EvalNiahCommand.Settings>
{
    public sealed class Settings : EvalSettings
    {
        [CommandOption("--tasks <LIST>"), Description("Which S-NIAH tasks: 1,2,3."), DefaultValue("1,2,3")]
        public string Tasks { get; init; } = "1,2,3";

        [CommandOption("--max-new-tokens <N>"), Description("Tokens generated per sample (RULER: 128)."), DefaultValue(RulerNiahGenerator.TokensToGenerate)]
        public int MaxNewTokens { get; init; } = RulerNiahGenerator.TokensToGenerate;
    }

    protected override string TaskName => "niah";
    protected override int[] DefaultLengths => RulerNiahGenerator.LawcatLengths.ToArray();
    protected override IReadOnlyList<(IEvalGenerator, int)> Generators(Settings s) =>
        s.Tasks.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => ((IEvalGenerator)new RulerNiahGenerator(t switch
        {
            "1" => RulerNiahTask.SNiah1,
            "2" => RulerNiahTask.SNiah2,
            "3" => RulerNiahTask.SNiah3,
            _ => throw new LawcatException($"--tasks: '{t}' is not one of 1, 2, 3."),
        }, s.Seed), Cli.CheckedNewTokens(s.MaxNewTokens))).ToList();
}

/// <summary>
/// <c>lawcat eval babilong</c>: BABILong qa2 / qa3 at BABILong's splits ("1k" is 1,000, as BABILong names them). Without
/// --lengths it runs the standard splits (0 to 16K) whose every prompt, as the model reads it, plus the tokens generated
/// fits the model's context (max_position_embeddings), and says which were left out; if none fits it fails before
/// loading the model, naming the context the smallest split needs.
/// </summary>
sealed class EvalBabilongCommand : EvalCommandBase<EvalBabilongCommand.Settings>
{
    /// <summary>Tokens generated per sample (BABILong: max_new_tokens=20).</summary>
    const int MaxNewTokens = 20;

    public sealed class Settings : EvalSettings
    {
        [CommandOption("--tasks <LIST>"), Description("Which tasks: qa2,qa3."), DefaultValue("qa2,qa3")]
        public string Tasks { get; init; } = "qa2,qa3";
    }

    protected override string TaskName => "babilong";
    protected override int[] DefaultLengths => BabilongGenerator.StandardLengths.ToArray();
    protected override IReadOnlyList<(IEvalGenerator, int)> Generators(Settings s) =>
        s.Tasks.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(t => ((IEvalGenerator)new BabilongGenerator(t switch
        {
            "qa2" => BabiTask.Qa2,
            "qa3" => BabiTask.Qa3,
            _ => throw new LawcatException($"--tasks: '{t}' is not qa2 or qa3."),
        }, s.Seed), MaxNewTokens)).ToList();

    protected override int[] Lengths(Settings s, string folder, ITokenizer tokenizer, IReadOnlyList<EvalPlan> plans)
    {
        if (s.Lengths is not null)
        {
            var asked = s.ParseLengths(DefaultLengths, kilo: 1000);
            // A split BABILong's filter cannot fill fails here, before any model is loaded.
            foreach (var plan in plans)
                foreach (var length in asked) plan.Generator.Generate(tokenizer, length, null, 0);
            return asked;
        }
        var context = StudentFolder.Config(Path.Combine(folder, "config.json")).MaxPositionEmbeddings;
        var needs = new List<(int Split, int Tokens)>();
        foreach (var split in DefaultLengths)
        {
            needs.Add((split, plans.Max(p => EvalRunner.TokensNeeded(p, tokenizer, split))));
            if (split > 0 && needs[^1].Tokens > context) break;    // longer splits only need more
        }
        var fitting = needs.Where(n => n.Tokens <= context).Select(n => n.Split).ToArray();
        var inv = CultureInfo.InvariantCulture;
        if (fitting.Length == 0)
        {
            var least = needs.MinBy(n => n.Tokens);
            throw new LawcatException($"no BABILong split fits the model's context of {context.ToString("N0", inv)} tokens " +
                $"(max_position_embeddings in {Path.Combine(folder, "config.json")}): the smallest need is split {least.Split}'s, " +
                $"{least.Tokens.ToString("N0", inv)} tokens with its tokenizer and {MaxNewTokens} generated; pass --lengths to run past the context anyway.");
        }
        var left = needs.Where(n => n.Tokens > context).Select(n => $"split {n.Split} needs {n.Tokens.ToString("N0", inv)}").ToList();
        if (needs.Count < DefaultLengths.Length) left.Add("longer splits more");
        AnsiConsole.MarkupLine(Markup.Escape($"splits {string.Join(", ", fitting)}: those whose prompts fit the model's " +
            $"{context.ToString("N0", inv)}-token context" + (left.Count > 0 ? $" ({string.Join("; ", left)})" : "")));
        return fitting;
    }
}

/// <summary>
/// <c>lawcat eval ppl</c>: perplexity of teacher and student on text, for quick regressions between runs. No held-out
/// text is bundled: by default it scores the start of the bundled books, which the embedded tiny teacher and default
/// distillations train on, and says so; pass --data for a held-out measure.
/// </summary>
sealed class EvalPplCommand : Command<EvalPplCommand.Settings>
{
    /// <summary>Default of --max-tokens: enough for 32 chunks of 1,024 tokens and a spare, seconds on a CPU with the tiny teacher.</summary>
    public const long DefaultMaxTokens = 65_536;

    public sealed class Settings : ModelSettings
    {
        [CommandOption("--data <FILE>"), Description(".txt/.jsonl files (repeatable) with text the models did not train on. Default: the bundled public-domain books (training text of the tiny teacher).")]
        public string[] Data { get; init; } = Array.Empty<string>();

        [CommandOption("--seq-len <N>"), Description("Tokens per chunk."), DefaultValue(1024)]
        public int SeqLen { get; init; } = 1024;

        [CommandOption("--chunks <N>"), Description("Chunks to score (evenly spread over the text read)."), DefaultValue(32)]
        public int Chunks { get; init; } = 32;

        [CommandOption("--max-tokens <N>"), Description("Read at most this many tokens of the text, from its start (0 = all of it)."), DefaultValue(DefaultMaxTokens)]
        public long MaxTokens { get; init; } = DefaultMaxTokens;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancel)
    {
        if (s.SeqLen < 2) throw new LawcatException($"--seq-len must be ≥ 2, got {s.SeqLen}.");
        if (s.Chunks < 1) throw new LawcatException($"--chunks must be ≥ 1, got {s.Chunks}.");
        if (s.MaxTokens < 0) throw new LawcatException($"--max-tokens must be ≥ 0 (0 = no cap), got {s.MaxTokens}.");
        // The packing keeps one chunk besides the scored ones, hence chunks + 1.
        long needed = (long)(s.Chunks + 1) * s.SeqLen;
        if (s.MaxTokens > 0 && s.MaxTokens < needed)
            throw new LawcatException($"--max-tokens {s.MaxTokens}: {s.Chunks} chunks (--chunks) of {s.SeqLen} tokens (--seq-len) need at least {needed} tokens.");
        var device = Cli.Device(s.Device);
        var dtype = Cli.DType(s.Dtype);
        var folder = s.ModelFolder;
        var tokenizer = BpeTokenizer.FromModelFolder(folder);
        var files = s.Data.Length > 0 ? s.Data : DataFiles.GutenbergBooks().ToArray();
        var data = Lawcat.Data.PackedDataset.Build(Lawcat.Data.TrainingText.Documents(files), tokenizer, s.SeqLen, s.Chunks, s.MaxTokens,
            Lawcat.Data.DataSizeKeys.EvalPpl);
        var table = new Table().AddColumn("model").AddColumn(Terminal.Column("nats/token")).AddColumn(Terminal.Column("perplexity"));
        var models = new List<(string, Func<LlamaModel>)> { ("teacher", () => StudentFolder.Load(folder, dtype, device)) };
        if (s.Student is not null) models.Add(("student", () => StudentModel.Load(s.Student, folder, dtype, device)));
        foreach (var (name, load) in models)
        {
            using var model = load();
            double ce = Lawcat.Training.PretrainRun.EvalLoss(model, data, device);
            table.AddRow(name, ce.ToString("F4", CultureInfo.InvariantCulture), Math.Exp(ce).ToString("F3", CultureInfo.InvariantCulture));
        }
        var console = Terminal.Out();
        Terminal.WriteTable(console, table, $"perplexity over {data.EvalChunks.Count} chunks of {s.SeqLen} tokens");
        var read = $"{data.TokenCount:N0} tokens read" + (s.MaxTokens > 0 ? $" (--max-tokens {s.MaxTokens:N0})" : "");
        Terminal.WriteWrapped(console, s.Data.Length > 0
            ? $"text: {string.Join(", ", s.Data)}; {read}."
            : $"text: the bundled public-domain books ({DataFiles.GutenbergFolder}), from the start; {read}. The embedded tiny teacher " +
                "and distillations without --data train on these books, so this may overlap training data; pass --data FILE with unseen text for a held-out measure.");
        return 0;
    }
}
