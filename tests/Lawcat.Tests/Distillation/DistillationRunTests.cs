using Lawcat.Distillation;
using Lawcat.IO;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Tests.Distillation;

/// <summary>Whole distillation runs on a tiny random teacher (CPU, seconds).</summary>
[Trait("Category", "Distill")]
public class DistillationRunTests
{
    /// <summary>A random byte-level teacher folder and a text file to distill on.</summary>
    static (string Teacher, string Data) Fixture()
    {
        var dir = TestPaths.NewTempDir();
        var teacher = Path.Combine(dir, "teacher");
        var config = TinyModels.Config with { VocabSize = 259, BosTokenId = 256, EosTokenIds = new[] { 257 } };
        var model = TinyModels.Teacher(11, config);
        model.InitializeWeights(0.1);
        model.SavePretrained(teacher);
        ByteLevelTokenizer.Save(teacher);
        var data = Path.Combine(dir, "data.txt");
        var rng = new Random(5);
        var words = new[] { "the", "cat", "sat", "on", "a", "mat", "and", "looked", "at", "bird", "which", "sang" };
        File.WriteAllLines(data, Enumerable.Range(0, 400).Select(_ => string.Join(' ', Enumerable.Range(0, 12).Select(_ => words[rng.Next(words.Length)])) + "."));
        return (teacher, data);
    }

    static DistillOptions Options(string teacher, string data) => DistillOptions.Tiny with
    {
        Teacher = teacher,
        Data = new DataOptions { Files = new[] { data }, SequenceLength = 48, EvalChunks = 2, PasskeyRatio = 0 },
        Stage1 = new AttentionTransferOptions { Steps = 8, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 4 },
        Stage2 = new FineTuneOptions { Steps = 0 },
        PasskeyEval = null,
        CheckpointEvery = 2,
    };

    static List<double> Losses(string runDir, int stage) =>
        MetricsLog.Read(Path.Combine(runDir, "metrics.jsonl")).Where(r => r["stage"]!.GetValue<int>() == stage && r["loss"] is not null)
            .Select(r => r["loss"]!.GetValue<double>()).ToList();

    [Fact]
    public void Stage1LowersTheLossAndChangesOnlyLawcatParameters()
    {
        var (teacher, data) = Fixture();
        var run = TestPaths.NewTempDir();
        var result = new DistillationRun(Options(teacher, data), run).Run(CPU, resume: false);
        var losses = Losses(run, 1);
        Assert.Equal(8, losses.Count);
        Assert.True(losses[^1] < 0.7 * losses[0], $"stage-1 loss {losses[0]:G4} → {losses[^1]:G4}");
        var student = StudentModel.Load(result.Checkpoint);
        var original = SafetensorsWeights.Open(teacher);
        foreach (var (name, t) in student.state_dict().Where(kv => original.Entries.ContainsKey(kv.Key)))
            Assert.True(original.Read(name).eq(t).all().item<bool>(), $"teacher weight {name} changed");
        Assert.Contains(student.state_dict().Keys, k => k.Contains("q_conv1d"));
        Assert.NotEmpty(result.Conversion.ConvertedLayers);
    }

    [Fact]
    public void Stage2CheckpointRebuildsTheStudentWhenLawcatParametersAreFrozen()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data) with
        {
            Stage1 = new AttentionTransferOptions { Steps = 4, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 4 },
            // The reference recipe's stage 2: LoRA only, LAWCAT's parameters frozen at their stage-1 values.
            Stage2 = DistillOptions.Paper.Stage2 with { Steps = 2, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 2, Lora = new LoraOptions { Rank = 2 } },
        };
        Assert.False(options.Stage2.TrainLawcat);
        var run = new DistillationRun(options, TestPaths.NewTempDir());
        var result = run.Run(CPU, resume: false);
        Assert.EndsWith("stage2-last.safetensors", result.Checkpoint);
        var ids = randint(0, 256, new long[] { 2, 40 }, generator: new Generator(3));

        static Tensor Logits(LlamaModel m, Tensor ids)
        {
            using var _ = no_grad();
            Lawcat.Conversion.LawcatConversion.SetMode(m, Lawcat.Attention.LawcatMode.Student);
            m.eval();
            return m.Forward(ids);
        }
        var inMemory = Logits(run.Student!, ids);
        using var loaded = StudentModel.Load(result.Checkpoint);
        Assert.Equal(0, TensorAssert.MaxAbsDiff(inMemory, Logits(loaded, ids)));

        using var fresh = LlamaModel.FromPretrained(teacher);
        manual_seed(options.Seed);
        Lawcat.Conversion.LawcatConversion.Convert(fresh, options.Lawcat, options.SoftmaxLayers);
        Assert.True(TensorAssert.MaxAbsDiff(inMemory, Logits(fresh, ids)) > 1e-3, "training left the student equal to a fresh conversion");

        // Frozen tensors carry no optimizer state, so resuming sees exactly the moments it saved.
        var (state, tensors) = Checkpoint.Load(result.Checkpoint);
        Assert.NotEmpty(state.Frozen);
        Assert.DoesNotContain(tensors.Keys, k => state.Frozen.Any(f => k == $"adamw.m.{f}"));
        // A checkpoint without them (as earlier versions wrote) is refused instead of giving a freshly initialized student.
        var old = Path.Combine(TestPaths.NewTempDir(), "old.safetensors");
        Checkpoint.Save(old, state with { Frozen = Array.Empty<string>() }, tensors.Where(kv => !state.Frozen.Contains(kv.Key)));
        Assert.Contains("old.safetensors", Assert.Throws<LawcatException>(() => StudentModel.Load(old)).Message);
    }

    [Fact]
    public void ResumeEqualsAnUninterruptedRun()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data) with
        {
            Stage1 = new AttentionTransferOptions { Steps = 6, BatchSize = 2, GradientAccumulation = 2, EvalEvery = 3 },
            Stage2 = new FineTuneOptions { Steps = 4, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 2, Lora = new LoraOptions { Rank = 2, Dropout = 0.1 }, KlWeight = 0.5 },
        };
        var straight = TestPaths.NewTempDir();
        new DistillationRun(options, straight).Run(CPU, resume: false);

        var broken = TestPaths.NewTempDir();
        foreach (var stopAt in new[] { (Stage: "stage 1", Step: 4L), (Stage: "stage 2", Step: 2L) })
        {
            using var cts = new CancellationTokenSource();
            var progress = new SyncProgress(p => { if (p.Stage.StartsWith(stopAt.Stage) && p.Step == stopAt.Step) cts.Cancel(); });
            var r = new DistillationRun(options, broken, progress).Run(CPU, resume: stopAt.Stage == "stage 2", cancel: cts.Token);
            Assert.True(r.Interrupted);
        }
        new DistillationRun(options, broken).Run(CPU, resume: true);
        Assert.Equal(Losses(straight, 1), Losses(broken, 1));
        Assert.Equal(Losses(straight, 2), Losses(broken, 2));
        var a = Checkpoint.Load(Path.Combine(straight, "checkpoints", "stage2-last.safetensors")).Tensors;
        var b = Checkpoint.Load(Path.Combine(broken, "checkpoints", "stage2-last.safetensors")).Tensors;
        foreach (var (name, t) in a) Assert.True(t.eq(b[name]).all().item<bool>(), $"{name} differs after resuming");
    }

    [Fact]
    public void RunsWithTheLengthLeversResumeExactlyAndEndWithTheBestReach()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data) with
        {
            Lawcat = new Lawcat.Attention.LawcatOptions { MaxGateMemory = 64 },
            Stage1 = new AttentionTransferOptions
            {
                Steps = 6, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 3,
                StateCoverage = new StateCoverageOptions { Ratio = 0.5, PrefixTokens = 16 },
            },
            Stage2 = new FineTuneOptions
            {
                Steps = 4, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 2, Lora = new LoraOptions { Rank = 2 }, KlWeight = 0.5,
                StateCoverage = new StateCoverageOptions { Ratio = 0.5, Start = StateStartKind.Noise }, SelectBy = CheckpointSelection.Reach,
            },
            ReachEval = new ReachEvalOptions { LengthMultiples = new[] { 2 }, Samples = 2 },
        };
        var straight = TestPaths.NewTempDir();
        var result = new DistillationRun(options, straight).Run(CPU, resume: false);
        Assert.EndsWith("stage2-best.safetensors", result.Checkpoint);
        var evals = MetricsLog.Read(Path.Combine(straight, "metrics.jsonl")).Where(r => r["eval_loss"] is not null).ToList();
        Assert.Equal(2 + 2, evals.Count);
        Assert.All(evals, r => Assert.Equal(2, r["reach.96.n"]!.GetValue<double>()));
        Assert.All(evals, r => Assert.InRange(r["reach"]!.GetValue<double>(), r["reach.96.lo"]!.GetValue<double>(), r["reach.96.hi"]!.GetValue<double>()));
        Assert.Contains(evals, r => r["eval.mse.layer0"] is not null);

        var broken = TestPaths.NewTempDir();
        foreach (var stopAt in new[] { (Stage: "stage 1", Step: 4L), (Stage: "stage 2", Step: 3L) })
        {
            using var cts = new CancellationTokenSource();
            var progress = new SyncProgress(p => { if (p.Stage.StartsWith(stopAt.Stage) && p.Step == stopAt.Step) cts.Cancel(); });
            Assert.True(new DistillationRun(options, broken, progress).Run(CPU, resume: stopAt.Stage == "stage 2", cancel: cts.Token).Interrupted);
        }
        new DistillationRun(options, broken).Run(CPU, resume: true);
        Assert.Equal(Losses(straight, 1), Losses(broken, 1));
        Assert.Equal(Losses(straight, 2), Losses(broken, 2));
        var a = Checkpoint.Load(Path.Combine(straight, "checkpoints", "stage2-best.safetensors"));
        var b = Checkpoint.Load(Path.Combine(broken, "checkpoints", "stage2-best.safetensors"));
        Assert.Equal(a.State.BestReach, b.State.BestReach);
        foreach (var (name, t) in a.Tensors) Assert.True(t.eq(b.Tensors[name]).all().item<bool>(), $"{name} differs after resuming");
    }

    [Fact]
    public void StoppingDuringTheFinalEvaluationResumesWithTheEvaluation()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data) with
        {
            Stage1 = new AttentionTransferOptions { Steps = 2, BatchSize = 1, GradientAccumulation = 1, EvalEvery = 2 },
            PasskeyEval = new PasskeyEvalOptions { LengthMultiples = new[] { 1 }, Samples = 2, Teacher = false },
        };
        var run = TestPaths.NewTempDir();
        using var cts = new CancellationTokenSource();
        var stopped = new DistillationRun(options, run).Run(CPU, resume: false, onEvalSample: _ => cts.Cancel(), cancel: cts.Token);
        Assert.True(stopped.Interrupted);
        Assert.Empty(stopped.Passkey);
        Assert.False(File.Exists(Path.Combine(run, "passkey.json")));
        var resumed = new DistillationRun(options, run).Run(CPU, resume: true);
        Assert.False(resumed.Interrupted);
        Assert.Equal(2, resumed.Passkey.Count);
        Assert.Equal(2, Losses(run, 1).Count);   // no update ran twice
        Assert.True(File.Exists(Path.Combine(run, "passkey.json")));
    }

    [Fact]
    public void EachStageCanHaveItsOwnShareOfPasskeySamples()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data) with
        {
            Data = new DataOptions { Files = new[] { data }, SequenceLength = 400, EvalChunks = 2, PasskeyRatio = 0 },
            Stage1 = new AttentionTransferOptions { Steps = 2, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 2 },
            Stage2 = new FineTuneOptions { Steps = 2, BatchSize = 2, GradientAccumulation = 1, EvalEvery = 2, Lora = new LoraOptions { Rank = 2 }, PasskeyRatio = 1 },
        };
        var run = TestPaths.NewTempDir();
        new DistillationRun(options, run).Run(CPU, resume: false);
        // Text chunks fill the sequence; passkey samples are shorter and padded.
        long[] Tokens(int stage) => MetricsLog.Read(Path.Combine(run, "metrics.jsonl"))
            .Where(r => r["stage"]!.GetValue<int>() == stage && r["tokens"] is not null).Select(r => r["tokens"]!.GetValue<long>()).ToArray();
        Assert.All(Tokens(1), t => Assert.Equal(2 * 400, t));
        Assert.All(Tokens(2), t => Assert.True(t < 2 * 400, $"{t} tokens: stage 2 should read passkey samples only"));
    }

    [Fact]
    public void ResumingWithOtherOptionsIsRefusedNamingTheDifferences()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data);
        var run = TestPaths.NewTempDir();
        new DistillationRun(options with { Stage1 = options.Stage1 with { Steps = 2 } }, run).Run(CPU, resume: false);
        var e = Assert.Throws<LawcatException>(() => new DistillationRun(options with { Stage1 = options.Stage1 with { Steps = 2, LearningRate = 0.5 } }, run).Run(CPU, resume: true));
        Assert.Contains("stage1.learning_rate: 0.01 → 0.5", e.Message);
    }

    [Fact]
    public void CorruptCheckpointIsAClearError()
    {
        var (teacher, data) = Fixture();
        var run = TestPaths.NewTempDir();
        var options = Options(teacher, data) with { Stage1 = new AttentionTransferOptions { Steps = 2, BatchSize = 1, GradientAccumulation = 1, EvalEvery = 2 } };
        new DistillationRun(options, run).Run(CPU, resume: false);
        var last = Path.Combine(run, "checkpoints", "stage1-last.safetensors");
        File.WriteAllBytes(last, File.ReadAllBytes(last)[..100]);
        var e = Assert.Throws<LawcatException>(() => new DistillationRun(options, run).Run(CPU, resume: true));
        Assert.Contains("stage1-last.safetensors", e.Message);
    }

    [Fact]
    public void DivergenceNamesTheStepAndLayer()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data) with { Stage1 = new AttentionTransferOptions { Steps = 3, BatchSize = 1, GradientAccumulation = 1, LearningRate = 1e30, MaxGradNorm = 0 } };
        var e = Assert.Throws<TrainingDivergedException>(() => new DistillationRun(options, TestPaths.NewTempDir()).Run(CPU, resume: false));
        Assert.Matches("update [0-9]+: (mse.layer[0-9]+|loss|gradient norm) is", e.Message);
    }

    [Fact]
    public void OutOfMemoryInAStageNamesTheStagesSizes()
    {
        var (teacher, data) = Fixture();
        var options = Options(teacher, data) with
        {
            Stage1 = new AttentionTransferOptions { Steps = 1, BatchSize = 1, GradientAccumulation = 1, EvalEvery = 1 },
            Stage2 = new FineTuneOptions { Steps = 2, BatchSize = 3, GradientAccumulation = 2, EvalEvery = 2 },
        };
        // libtorch reports a full device as an ExternalException; raise one from inside stage 2's update loop.
        var progress = new SyncProgress(p =>
        {
            if (p.Stage.StartsWith("stage 2")) throw new System.Runtime.InteropServices.ExternalException("CUDA out of memory. Tried to allocate 64.00 MiB");
        });
        var e = Assert.Throws<OutOfDeviceMemoryException>(() => new DistillationRun(options, TestPaths.NewTempDir(), progress).Run(CPU, resume: false));
        Assert.Equal(new TrainingSizes("stage 2: fine-tuning", "stage2", 3, 2, 48, "data.sequence_length", CPU.ToString(), "float32", "dtype"), e.Sizes);
        Assert.Contains("stage2.batch_size=3", e.Message);
        Assert.Contains("Tried to allocate 64.00 MiB", e.Message);
    }

    sealed class SyncProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}
