using Lawcat.Data;
using Lawcat.Tests.Distillation;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Tests.Training;

/// <summary>The update loop's evaluation logic, driven by scripted evaluations: early stopping and checkpoint selection.</summary>
[Trait("Category", "Distill")]
public class StageTrainerTests
{
    sealed record Saved(string Kind, CheckpointState State);

    /// <summary>A trainer of one scalar whose evaluations are <paramref name="evals"/> in turn; checkpoints are recorded, not written.</summary>
    static (StageTrainer Trainer, List<Saved> Saved) Trainer(StageOptions o, IEnumerable<EvalScore> evals,
        CheckpointSelection selection = CheckpointSelection.EvalLoss, CheckpointState? resumed = null)
    {
        var p = new TorchSharp.Modules.Parameter(tensor(new[] { 1.0f }));
        var optimizer = new AdamW(new[] { ("p", p) }, o.LearningRate);
        var docs = Enumerable.Range(0, 40).Select(i => new string('a', 20 + i));
        var data = PackedDataset.Build(docs, new CharTokenizer(), 16, evalChunks: 2);
        var queue = new Queue<EvalScore>(evals);
        var saved = new List<Saved>();
        var trainer = new StageTrainer
        {
            Stage = 1, Name = "test", Options = o, Optimizer = optimizer, Device = CPU, Selection = selection, Resumed = resumed,
            Schedule = new LearningRateSchedule(o.Schedule, o.LearningRate, o.WarmupSteps, o.Steps, o.Patience),
            Data = new BatchStream(data, 1), Loss = _ => new BatchLoss((p * p).sum(), new Dictionary<string, double>()),
            Evaluate = queue.Dequeue, SaveCheckpoint = (kind, state) => saved.Add(new Saved(kind, state)), CheckpointEvery = 1000,
            StateTemplate = new CheckpointState(),
        };
        return (trainer, saved);
    }

    static StageOptions Plateau(int earlyStop) => new()
    {
        Steps = 100, BatchSize = 1, GradientAccumulation = 1, LearningRate = 0.1, EvalEvery = 1, Patience = 1, EarlyStopPatience = earlyStop,
    };

    [Fact]
    public void StageStopsOnAPlateauOfTheEvalLossAndStaysStoppedOnResume()
    {
        // Improvements at evaluations 1, 2 and 5; with patience 3 the stage ends after evaluation 8.
        var losses = new[] { 5, 4, 4.5, 4.2, 3.9, 4, 4, 4, 4, 4 }.Select(l => new EvalScore(l));
        var (trainer, saved) = Trainer(Plateau(3), losses);
        var result = trainer.Run(0, CancellationToken.None);
        Assert.True(result.StoppedEarly);
        Assert.Equal(8, result.Steps);
        Assert.Equal(3.9, result.BestEvalLoss);
        Assert.Equal(new long[] { 1, 2, 5 }, saved.Where(s => s.Kind == "best").Select(s => s.State.Step));
        var last = Assert.Single(saved, s => s.Kind == "last").State;
        Assert.True(last.StoppedEarly);
        Assert.Equal(8, last.Step);
        // The plateau schedule divided the rate on the way (patience 1: after the second evaluation without improvement).
        Assert.True(last.PlateauFactor < 1);

        var (again, savedAgain) = Trainer(Plateau(3), Array.Empty<EvalScore>(), resumed: last);
        var resumed = again.Run(last.Step, CancellationToken.None);
        Assert.True(resumed.StoppedEarly);
        Assert.Equal(8, resumed.Steps);
        Assert.Empty(savedAgain);
    }

    [Fact]
    public void WithoutEarlyStoppingEveryUpdateRuns()
    {
        var (trainer, _) = Trainer(Plateau(0) with { Steps = 12 }, Enumerable.Repeat(new EvalScore(4), 12));
        var result = trainer.Run(0, CancellationToken.None);
        Assert.False(result.StoppedEarly);
        Assert.Equal(12, result.Steps);
    }

    [Fact]
    public void SelectionByReachKeepsTheBestReachAndBreaksTiesByEvalLoss()
    {
        var evals = new[] { (5.0, 0.1), (4.0, 0.3), (3.0, 0.2), (4.5, 0.3), (2.5, 0.3), (2.0, 0.25) }.Select(e => new EvalScore(e.Item1, e.Item2));
        var (trainer, saved) = Trainer(Plateau(0) with { Steps = 6 }, evals, CheckpointSelection.Reach);
        trainer.Run(0, CancellationToken.None);
        // Update 2 raises the reach; update 4 only ties it at a higher loss; update 5 ties it at a lower loss.
        Assert.Equal(new long[] { 1, 2, 5 }, saved.Where(s => s.Kind == "best").Select(s => s.State.Step));
        var last = Assert.Single(saved, s => s.Kind == "last").State;
        Assert.Equal((0.3, 2.5), (last.BestReach, last.BestReachEvalLoss));
        // The held-out loss still drives the schedule: its best is update 6's.
        Assert.Equal(2.0, last.BestEvalLoss);
    }

    [Fact]
    public void AnUpdateThatMakesAParameterNonFiniteIsNotSavedAsACheckpoint()
    {
        // The loss and gradient of update 1 are finite, and so is the (scripted) evaluation after it; the step itself (a
        // rate beyond fp32's range) is not.
        var (trainer, saved) = Trainer(Plateau(0) with { Steps = 1, LearningRate = double.MaxValue }, new[] { new EvalScore(4) });
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Run(0, CancellationToken.None));
        Assert.Contains("update 1: parameter p is no longer finite", e.Message);
        Assert.Empty(saved);
    }
}
