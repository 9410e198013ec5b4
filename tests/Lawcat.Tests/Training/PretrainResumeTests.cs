using Lawcat.IO;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Tests.Training;

/// <summary><c>lawcat pretrain --resume</c>: a run continued from its checkpoint equals one that was never stopped.</summary>
[Trait("Category", "Distill")]
public class PretrainResumeTests
{
    /// <summary>A 1-layer, 32-wide model on a small text, with passkey samples in its 400-byte sequences.</summary>
    static PretrainOptions Options(string text) => new()
    {
        HiddenSize = 32, IntermediateSize = 64, Layers = 1, Heads = 2, KvHeads = 1, Files = new[] { text }, SequenceLength = 400,
        PasskeyRatio = 0.5, EvalChunks = 2, PasskeyEvalSamples = 0, Device = "cpu", CheckpointEvery = 2,
        Train = new PretrainOptions().Train with { Steps = 6, BatchSize = 2, WarmupSteps = 2, EvalEvery = 3 },
    };

    static string Text()
    {
        var path = Path.Combine(TestPaths.NewTempDir(), "text.txt");
        var rng = new Random(3);
        var words = new[] { "the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "bird", "which", "sang" };
        File.WriteAllLines(path, Enumerable.Range(0, 300).Select(_ => string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.Next(words.Length)])) + "."));
        return path;
    }

    static List<double> Losses(string folder) =>
        MetricsLog.Read(Path.Combine(folder, "training-log.jsonl")).Where(r => r["loss"] is not null).Select(r => r["loss"]!.GetValue<double>()).ToList();

    [Fact]
    public void ResumedPretrainingEqualsAnUninterruptedOne()
    {
        var options = Options(Text());
        var straight = Path.Combine(TestPaths.NewTempDir(), "model");
        var full = PretrainRun.Run(options, straight, "lawcat pretrain --out straight", CPU);
        Assert.False(full.Interrupted);

        var broken = Path.Combine(TestPaths.NewTempDir(), "model");
        using var cts = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p.Step == 3) cts.Cancel(); });
        var first = PretrainRun.Run(options, broken, "lawcat pretrain --out broken", CPU, progress, cancel: cts.Token);
        Assert.True(first.Interrupted);
        Assert.Equal(3, first.Result.Steps);
        Assert.Null(first.PasskeyAccuracy);
        // A process killed after its last checkpoint has logged updates the resumed run repeats; they must not appear twice.
        File.AppendAllText(Path.Combine(broken, "training-log.jsonl"), "{\"stage\":0,\"step\":4,\"loss\":123.0}\n");
        var rest = PretrainRun.Run(options, broken, "lawcat pretrain --resume broken", CPU, resume: true);
        Assert.False(rest.Interrupted);
        Assert.Equal(6, rest.Result.Steps);

        Assert.Equal(6, Losses(straight).Count);
        Assert.Equal(Losses(straight), Losses(broken));
        var a = SafetensorsFile.Open(Path.Combine(straight, "model.safetensors"));
        var b = SafetensorsFile.Open(Path.Combine(broken, "model.safetensors"));
        foreach (var name in a.Entries.Keys) Assert.True(a.Read(name).eq(b.Read(name)).all().item<bool>(), $"{name} differs after resuming");
        var report = File.ReadAllText(Path.Combine(broken, "PRETRAIN.md"));
        Assert.Contains("lawcat pretrain --out broken\nlawcat pretrain --resume broken", report.ReplaceLineEndings("\n"));
        Assert.Contains("continued exactly from its checkpoint by 1 more", report);
    }

    [Fact]
    public void ResumingWithOtherOptionsOrNoCheckpointIsRefused()
    {
        var options = Options(Text()) with { PasskeyRatio = 0 };
        var folder = Path.Combine(TestPaths.NewTempDir(), "model");
        var e = Assert.Throws<LawcatException>(() => PretrainRun.Run(options, folder, "c", CPU, resume: true));
        Assert.Contains("nothing to resume", e.Message);
        PretrainRun.Run(options with { Train = options.Train with { Steps = 2 } }, folder, "c", CPU);
        e = Assert.Throws<LawcatException>(() => PretrainRun.Run(options with { Train = options.Train with { Steps = 2, LearningRate = 0.5 } }, folder, "c", CPU, resume: true));
        Assert.Contains("train.learning_rate: 0.002 → 0.5", e.Message);
        Assert.Equal(2, PretrainRun.SavedOptions(folder)["train"]!["steps"]!.GetValue<int>());
    }

    sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
