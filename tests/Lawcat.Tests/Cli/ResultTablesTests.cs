using System.Text.Json.Nodes;
using Lawcat.Ablation;
using Lawcat.Benchmarks;
using Lawcat.Cli;
using Lawcat.Cli.Commands;
using Lawcat.Conversion;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Training;
using Spectre.Console;

namespace Lawcat.Tests.Cli;

/// <summary>
/// The result tables and summaries the commands print, rendered with realistic values into a console of a fixed width:
/// no line wider than the console, and no value (an accuracy with its interval, a p-value, discordant counts) broken
/// across lines.
/// </summary>
[Trait("Category", "Cli")]
public class ResultTablesTests
{
    /// <summary>A console of <paramref name="width"/> columns without escape codes (as in a pipe), and what it printed.</summary>
    static (IAnsiConsole Console, StringWriter Text) Console(int width)
    {
        var text = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text), Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Interactive = InteractionSupport.No,
        });
        console.Profile.Width = width;
        return (console, text);
    }

    /// <summary>Asserts every line of <paramref name="printed"/> fits <paramref name="width"/> and each of <paramref name="values"/> is whole on some line.</summary>
    static string[] AssertFits(string printed, int width, params string[] values)
    {
        var lines = printed.Replace("\r\n", "\n").Split('\n');
        foreach (var line in lines) Assert.True(line.Length <= width, $"{line.Length} columns at width {width}:\n{line}\n\n{printed}");
        Assert.DoesNotContain('\x1b', printed);
        foreach (var value in values) Assert.True(lines.Any(l => l.Contains(value)), $"'{value}' is not whole on one line:\n{printed}");
        return lines;
    }

    /// <summary>
    /// <paramref name="right"/> of <paramref name="n"/> samples answered right by <paramref name="model"/> at
    /// <paramref name="length"/>; the first ones right, needles spread over the prompt when <paramref name="needle"/>.
    /// </summary>
    static IEnumerable<EvalResult> Samples(string model, string task, int length, int n, int right, bool needle = true) =>
        Enumerable.Range(0, n).Select(i => new EvalResult(model, task, length, length - 3, null, i, i < right ? 1 : 0, i < right ? "71432" : "1", "71432",
            0.8, needle ? (int)((long)length * i / n) : null));

    /// <summary>The main job's numbers: the teacher right at 95% up to its context, the student falling off with length.</summary>
    static List<EvalResult> Passkey(string task = EvalTask.Passkey, bool needle = true)
    {
        var results = new List<EvalResult>();
        foreach (var (length, teacher, student) in new[] { (1024, 19, 15), (2048, 19, 11), (4096, 19, 3), (8192, 0, 2) })
        {
            results.AddRange(Samples("teacher", task, length, 20, teacher, needle));
            results.AddRange(Samples("student", task, length, 20, student, needle));
        }
        return results;
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void PasskeyTablesByLengthAndDistanceFitAndKeepEveryValueWhole(int width)
    {
        var (console, text) = Console(width);
        AccuracyTables.Print(console, Passkey());
        var lines = AssertFits(text.ToString(), width,
            "95 [76, 99]", "75 [53, 89]", "15 [5, 36]", "0 [0, 16]", "3.1e-05", "0.125", "0/16", "0/4", "2/0", "only s/t",
            "passkey: accuracy (%) by prompt length:", "passkey: accuracy (%) by needle distance:");
        Assert.DoesNotContain(lines, l => l.Contains("exact,"));   // the test's kind is in the footnote, not in every cell
        Assert.Contains("exact binomial", text.ToString().Replace("\n", " "));
        Assert.DoesNotContain(lines, l => l.Contains("│ passkey"));   // the task is in the title, not a column
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void NiahAndBabilongGetOneTablePerTask(int width)
    {
        var (console, text) = Console(width);
        var results = new[] { EvalTask.SNiah1, EvalTask.SNiah2, EvalTask.SNiah3 }.SelectMany(t => Passkey(t)).ToList();
        AccuracyTables.Print(console, results);
        AssertFits(text.ToString(), width, "niah_single_1: accuracy (%) by prompt length:", "niah_single_3: accuracy (%) by needle distance:",
            "95 [76, 99]", "3.1e-05", "0/16");

        (console, text) = Console(width);
        results = new[] { EvalTask.BabilongQa2, EvalTask.BabilongQa3 }.SelectMany(t => Passkey(t, needle: false)).ToList();
        AccuracyTables.Print(console, results);
        var printed = AssertFits(text.ToString(), width, "babilong_qa2: accuracy (%) by prompt length:", "babilong_qa3: accuracy (%) by prompt length:",
            "75 [53, 89]", "0.125", "0/4");
        Assert.DoesNotContain(printed, l => l.Contains("needle distance"));
    }

    [Fact]
    public void ManyDiscordantPairsSayChiSquareInTheFootnote()
    {
        var (console, text) = Console(80);
        AccuracyTables.Print(console, Samples("teacher", EvalTask.Passkey, 1024, 100, 98, needle: false).Concat(Samples("student", EvalTask.Passkey, 1024, 100, 64, needle: false)).ToList());
        var printed = AssertFits(text.ToString(), 80, "98 [93, 99]", "64 [54, 73]", "0/34");
        Assert.Contains("chi-square with continuity correction (25 or more samples differ)", string.Join(" ", printed));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(100, "100")]
    [InlineData(76.4, "76")]
    [InlineData(99.1, "99")]
    [InlineData(99.6, "99.6")]
    [InlineData(0.4, "0.4")]
    [InlineData(99.96, "99.96")]
    public void PercentagesAreWholeUnlessRoundingWouldShowZeroOrAHundred(double percent, string shown) =>
        Assert.Equal(shown, AccuracyTables.Percent(percent));

    [Theory]
    [InlineData(3.0517578125e-05, "3.1e-05")]
    [InlineData(0.125, "0.125")]
    [InlineData(1, "1")]
    [InlineData(0.00244140625, "0.00244")]
    public void PValuesTakeAtMostSevenCharacters(double p, string shown) => Assert.Equal(shown, AccuracyTables.P(p));

    /// <summary>The miniature grid's variants, 100 samples at five lengths, the default also with the teacher's results.</summary>
    static AblationOutcome Ablation()
    {
        var names = new[] { "default", "no conv", "scalar gate", "no gate", "rope on linear path", "gate memory <= 2,048", "state coverage", "select by reach" };
        var grid = new AblationGrid("data/ablations/miniature.yaml", names.Select(n => new GridVariant(n, n == "default" ? Array.Empty<string>() : new[] { "lawcat.gate=none" }, DistillOptions.Tiny)).ToList());
        var lengths = new[] { 1024, 2048, 4096, 8192, 16384 };
        var variants = grid.Variants.Select((v, i) =>
        {
            var passkey = lengths.SelectMany((l, j) => Samples("student", EvalTask.Passkey, l, 100, Math.Max(0, 64 - 12 * j - 5 * i))).ToList();
            if (i == 0) passkey.AddRange(lengths.SelectMany(l => Samples("teacher", EvalTask.Passkey, l, 100, l <= 4096 ? 98 : 0)));
            var metrics = new List<JsonObject> { new() { ["stage"] = 1, ["eval_loss"] = 0.01234 + i * 0.001 } };
            return new VariantOutcome(v, $"runs/ablate-miniature/variants/{v.Slug}", new VariantSummary(1_245_184, "stage2-last.safetensors", 3600), passkey, metrics, false);
        }).ToList();
        return new AblationOutcome(grid, "runs/ablate-miniature", variants, false);
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void TheAblationTablesFitAndKeepEveryValueWhole(int width)
    {
        var (console, text) = Console(width);
        AblateCommand.Print(console, Ablation());
        var lines = AssertFits(text.ToString(), width, "gate memory <= 2,048", "teacher (softmax)", "1,245,184", "0.01234", "98 [93, 99]", "64 [54, 73]",
            "59 [49, 68]", "only v/d", "default", "16384");
        Assert.Equal(2, lines.Count(l => l.Contains("│ no conv ")));   // in the variants table, and once in the other: on its first row only
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void TheDistillSummaryFitsAndKeepsPathsWhole(int width)
    {
        var (console, text) = Console(width);
        var checkpoint = "runs/distill-20250101-120000/checkpoints/stage2-last.safetensors";
        var result = new DistillResult("runs/distill-20250101-120000", new StageResult(240, 0.08832, 0.09178, false, StoppedEarly: true),
            new StageResult(80, 1.2345, 1.3456, false), new ConversionReport(new[] { 0, 1, 2, 3 }, Array.Empty<int>(), 12_288, 3_200_000, new Dictionary<string, long>()),
            checkpoint, Passkey(), false);
        DistillCommand.PrintSummary(console, result, DistillOptions.Tiny, "data/tiny-teacher", TimeSpan.FromSeconds(1234));
        AssertFits(text.ToString(), width, checkpoint, "data/tiny-teacher", "12,288 new parameters", "95 [76, 99]", "3.1e-05", "0/16",
            "passkey: accuracy (%) by prompt length, distilled at 1024 tokens:", "lawcat eval passkey --seed 0");
    }

    [Theory]
    [InlineData(80)]
    [InlineData(120)]
    public void TheAttentionBenchmarkTableFits(int width)
    {
        var (console, text) = Console(width);
        var results = AttentionBenchmark.AllMethods.SelectMany(m => new[] { 1024, 65536 }.SelectMany(l => new[]
        {
            new BenchResult(m, "forward", l, 12345.678, 13_421_772_800),
            new BenchResult(m, "backward", l, double.NaN, null, "out of memory"),
        })).ToList();
        BenchAttentionCommand.Print(console, results, "attention prefill, B=1 H=32 D=64 Float32 on cuda:0, kernels tensor-core (fused kernels opt in with --kernels fused)");
        AssertFits(text.ToString(), width, "softmax-layer-decode", "lawcat-layer-decode", "12345.678", "12.50 GiB", "65536", "failed");
    }

    [Fact]
    public void WrappingBreaksAtSpacesAndKeepsLongWordsWhole()
    {
        var path = "/" + string.Join("/", Enumerable.Repeat("folder", 15)) + "/passkey-summary.csv";
        var lines = RunOutputs.Lines("results", new[] { $"{path} (the table by prompt length)", "runs/x/passkey.csv (one row per sample)" }, 80).ToList();
        Assert.Equal(new[] { $"results  {path}", "         (the table by prompt length)", "         runs/x/passkey.csv (one row per sample)" }, lines);
        Assert.Equal(new[] { "  stage 1  240 updates", "           (stopped early)" }, Terminal.Wrap("  stage 1  240 updates (stopped early)", 30, indent: 11));
    }
}
