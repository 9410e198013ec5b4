using System.Text.Json;
using Lawcat.Ablation;
using Lawcat.Distillation;
using Lawcat.Tokenization;
using Lawcat.Training;
using Lawcat.Visualization;
using static TorchSharp.torch;

namespace Lawcat.Tests.Ablation;

/// <summary>Ablation grids: the shipped grid file, errors in grid files, and a tiny grid run whole, interrupted and resumed.</summary>
[Trait("Category", "Distill")]
public class AblationGridTests
{
    static string DefaultGrid => Path.Combine(TestPaths.Root, "data", "ablations", "default.yaml");

    [Fact]
    public void TheShippedGridHasVariantsOneSwitchAwayFromTheDefault()
    {
        var grid = AblationGrid.Load(DefaultGrid);
        Assert.True(grid.Variants.Count >= 5, $"{grid.Variants.Count} variants");
        Assert.Empty(grid.Default.Sets);
        Assert.Equal(OptionsIO.ToJson(DistillOptions.Tiny).ToJsonString(), OptionsIO.ToJson(grid.Default.Options).ToJsonString());
        var defaultJson = OptionsIO.ToJson(grid.Default.Options);
        foreach (var v in grid.Variants.Skip(1))
        {
            var changed = OptionsIO.Differences(defaultJson, OptionsIO.ToJson(v.Options)).Select(d => d.Split(':')[0]).ToHashSet();
            var expected = v.Sets.Select(s => s.Split('=')[0]).Append("passkey_eval.teacher").ToHashSet();
            Assert.True(changed.SetEquals(expected), $"{v.Name}: changes {string.Join(", ", changed)}, expected {string.Join(", ", expected)}");
            Assert.All(v.Sets, s => Assert.StartsWith("lawcat.", s));
        }
        Assert.Equal(grid.Variants.Count, grid.Variants.Select(v => v.Slug).Distinct().Count());
    }

    [Fact]
    public void GridFileErrorsNameTheFileAndTheVariant()
    {
        var dir = TestPaths.NewTempDir();
        string Grid(string text)
        {
            var path = Path.Combine(dir, Guid.NewGuid().ToString("N")[..6] + ".yaml");
            File.WriteAllText(path, text);
            return path;
        }
        var e = Assert.Throws<LawcatException>(() => AblationGrid.Load(Grid("variants:\n  default: {}\n  odd:\n    lawcat.conv_size: 3\n")));
        Assert.Contains("variant 'odd'", e.Message);
        Assert.Contains("lawcat.conv_size", e.Message);
        e = Assert.Throws<LawcatException>(() => AblationGrid.Load(Grid("base: {}\n")));
        Assert.Contains("'variants'", e.Message);
        e = Assert.Throws<LawcatException>(() => AblationGrid.Load(Grid("variant:\n  default: {}\n")));
        Assert.Contains("unknown key 'variant'", e.Message);
        e = Assert.Throws<LawcatException>(() => AblationGrid.Load(Grid("variants:\n  default: {}\n  bad:\n    lawcat.conv_kernel_size: 0\n")));
        Assert.Contains("variant 'bad'", e.Message);
        Assert.Contains("ConvKernelSize", e.Message);
        e = Assert.Throws<LawcatException>(() => AblationGrid.Load(Grid("variants:\n  a b: {}\n  a-b: {}\n")));
        Assert.Contains("share the folder 'a-b'", e.Message);
    }

    /// <summary>A random byte-level teacher folder and a text file to distill on.</summary>
    static (string Teacher, string Data) Fixture()
    {
        var dir = TestPaths.NewTempDir();
        var teacher = Path.Combine(dir, "teacher");
        var model = TinyModels.Teacher(11, TinyModels.Config with { VocabSize = 259, BosTokenId = 256, EosTokenIds = new[] { 257 } });
        model.InitializeWeights(0.1);
        model.SavePretrained(teacher);
        ByteLevelTokenizer.Save(teacher);
        var data = Path.Combine(dir, "data.txt");
        var rng = new Random(5);
        var words = new[] { "the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "bird", "which", "sang" };
        File.WriteAllLines(data, Enumerable.Range(0, 300).Select(_ => string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.Next(words.Length)])) + "."));
        return (teacher, data);
    }

    static AblationGrid TinyGrid()
    {
        var (teacher, data) = Fixture();
        var options = DistillOptions.Tiny with
        {
            Teacher = teacher,
            Data = new DataOptions { Files = new[] { data }, SequenceLength = 48, EvalChunks = 2, PasskeyRatio = 0.5 },
            Stage1 = new AttentionTransferOptions { Steps = 3, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 1 },
            Stage2 = DistillOptions.Tiny.Stage2 with { Steps = 1, BatchSize = 2, EvalEvery = 1 },
            PasskeyEval = new PasskeyEvalOptions { LengthMultiples = new[] { 6 }, Samples = 2 },
            CheckpointEvery = 1,
        };
        return AblationGrid.FromOptions(options, new (string, IReadOnlyList<string>)[] { ("default", Array.Empty<string>()), ("scalar gate", new[] { "lawcat.gate=\"scalar_per_head\"" }) });
    }

    sealed class OnProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }

    [Fact]
    public void AnInterruptedGridResumesToTheSameTable()
    {
        var grid = TinyGrid();
        var whole = new AblationRunner(grid, TestPaths.NewTempDir()).Run(CPU);
        Assert.False(whole.Interrupted);
        Assert.Equal(2, whole.Variants.Count);

        // Stop the second variant after its second stage-1 update, then run the same grid again.
        var folder = TestPaths.NewTempDir();
        using var cts = new CancellationTokenSource();
        var stopper = new OnProgress(p => { if (p.Stage.StartsWith("scalar gate: stage 1") && p.Step == 2) cts.Cancel(); });
        var first = new AblationRunner(grid, folder, progress: stopper).Run(CPU, cancel: cts.Token);
        Assert.True(first.Interrupted);
        Assert.Single(first.Variants);
        var second = AblationRunner.VariantFolder(folder, grid.Variants[1]);
        Assert.True(File.Exists(Path.Combine(second, "checkpoints", "stage1-last.safetensors")));
        Assert.False(AblationRunner.IsFinished(folder, grid.Variants[1]));
        var firstResult = Path.Combine(AblationRunner.VariantFolder(folder, grid.Default), AblationRunner.ResultFile);
        var finishedAt = File.GetLastWriteTimeUtc(firstResult);

        var log = new List<string>();
        var resumed = new AblationRunner(grid, folder, log.Add).Run(CPU);
        Assert.False(resumed.Interrupted);
        Assert.Equal(new[] { true, false }, resumed.Variants.Select(v => v.Reused));
        Assert.Equal(finishedAt, File.GetLastWriteTimeUtc(firstResult));   // not run again
        Assert.Contains(log, l => l.Contains("stage 1: attention transfer: resuming at update 2"));

        // Resumed to the bit: the same losses, the same answers, the same table.
        for (int i = 0; i < 2; i++)
        {
            Assert.Equal(whole.Variants[i].Stage1HeldOutLoss, resumed.Variants[i].Stage1HeldOutLoss);
            Assert.Equal(whole.Variants[i].Passkey.Select(r => (r.Model, r.Index, r.TargetLength, r.Output)), resumed.Variants[i].Passkey.Select(r => (r.Model, r.Index, r.TargetLength, r.Output)));
        }
        AblationFigures.Save(whole);
        AblationFigures.Save(resumed);
        Assert.Equal(File.ReadAllText(Path.Combine(whole.Folder, "ablation.csv")), File.ReadAllText(Path.Combine(resumed.Folder, "ablation.csv")));

        // The table: the teacher once, then both variants, the scalar gate tested against the default.
        var csv = File.ReadAllLines(Path.Combine(folder, "ablation.csv"));
        Assert.Equal(1 + 3, csv.Length);
        Assert.StartsWith("\"teacher (softmax)\",\"\",,,288,2,", csv[1]);
        Assert.Matches("^\"scalar gate\",\"lawcat.gate=\"\"scalar_per_head\"\"\",[0-9]+,[0-9.]+,288,2,[0-9.]+,[0-9.]+,[0-9.]+,[0-9.eE-]+,\"exact\"", csv[3]);
        var md = File.ReadAllText(Path.Combine(folder, "ablation.md"));
        Assert.Contains("| 288 (n=2) | p 288 |", md);
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "ablation.json")));
        Assert.True(json.RootElement.GetProperty("complete").GetBoolean());
        Assert.Equal(3, json.RootElement.GetProperty("variants").GetArrayLength());
        Assert.All(new[] { "ablation-accuracy.png", "ablation-distance.png", "ablation-stage1-eval.png" }, f => Assert.True(File.Exists(Path.Combine(folder, f)), f));
    }
}
