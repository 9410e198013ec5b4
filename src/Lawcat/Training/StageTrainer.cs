using System.Diagnostics;
using System.Text.Json.Nodes;
using Lawcat.Data;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>How a stage ended.</summary>
/// <param name="Steps">Updates done.</param>
/// <param name="LastLoss">Training loss of the last update.</param>
/// <param name="BestEvalLoss">Best eval loss.</param>
/// <param name="Interrupted">True when stopped early by cancellation (a checkpoint was written).</param>
public sealed record StageResult(long Steps, double LastLoss, double BestEvalLoss, bool Interrupted);

/// <summary>
/// The update loop shared by pretraining and both distillation stages: gradient accumulation, clipping, AdamW,
/// schedule, periodic evaluation with a best checkpoint, periodic last checkpoints, JSON-lines metrics, progress
/// reports, divergence checks and graceful cancellation. Every piece of state it changes is in the checkpoint.
/// </summary>
public sealed class StageTrainer
{
    /// <summary>Stage number recorded in checkpoints and metrics.</summary>
    public required int Stage { get; init; }
    /// <summary>Name shown in progress bars.</summary>
    public required string Name { get; init; }
    /// <summary>Optimization settings.</summary>
    public required StageOptions Options { get; init; }
    /// <summary>The optimizer over the trainable parameters.</summary>
    public required AdamW Optimizer { get; init; }
    /// <summary>The learning-rate schedule.</summary>
    public required LearningRateSchedule Schedule { get; init; }
    /// <summary>Training batches.</summary>
    public required BatchStream Data { get; init; }
    /// <summary>Device batches go to.</summary>
    public required Device Device { get; init; }
    /// <summary>Loss of one batch (ids, mask) → loss; called with the update index and micro-batch index set beforehand.</summary>
    public required Func<Tensor, Tensor, BatchLoss> Loss { get; init; }
    /// <summary>Mean loss over the held-out chunks (no gradients).</summary>
    public required Func<double> Evaluate { get; init; }
    /// <summary>Writes a checkpoint of the given kind ("last" or "best") with the given state.</summary>
    public required Action<string, CheckpointState> SaveCheckpoint { get; init; }
    /// <summary>Checkpoint interval in updates.</summary>
    public required int CheckpointEvery { get; init; }
    /// <summary>Called before each micro-batch with (update, micro-batch), e.g. to seed dropout.</summary>
    public Action<long, int>? BeforeMicroBatch { get; init; }
    /// <summary>Metrics sink.</summary>
    public MetricsLog? Metrics { get; init; }
    /// <summary>Progress sink.</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }
    /// <summary>Template of the checkpoint state; step, data position and schedule fields are filled in.</summary>
    public required CheckpointState StateTemplate { get; init; }

    /// <summary>Runs from update <paramref name="startStep"/> to <see cref="StageOptions.Steps"/>.</summary>
    public StageResult Run(long startStep, CancellationToken cancel)
    {
        var clock = Stopwatch.StartNew();
        double lastLoss = double.NaN;
        double? lastEval = null;
        for (long step = startStep; step < Options.Steps; step++)
        {
            if (cancel.IsCancellationRequested)
            {
                SaveCheckpoint("last", State(step));
                return new StageResult(step, lastLoss, Schedule.BestEvalLoss, true);
            }
            var stepClock = Stopwatch.StartNew();
            Optimizer.LearningRate = Schedule.At(step);
            Optimizer.ZeroGrad();
            var (loss, parts, tokens) = Accumulate(step);
            double gradNorm = Optimizer.ClipGradNorm(Options.MaxGradNorm);
            if (!double.IsFinite(gradNorm)) throw Diverged(step, "gradient norm", gradNorm);
            Optimizer.Update();
            lastLoss = loss;
            double tps = tokens / Math.Max(stepClock.Elapsed.TotalSeconds, 1e-9);
            var record = new JsonObject { ["stage"] = Stage, ["step"] = step + 1, ["loss"] = loss, ["lr"] = Optimizer.LearningRate, ["grad_norm"] = gradNorm, ["tokens"] = tokens, ["tokens_per_s"] = tps, ["elapsed_s"] = clock.Elapsed.TotalSeconds };
            foreach (var (k, v) in parts) record[k] = v;
            Metrics?.Write(record);
            bool last = step + 1 == Options.Steps;
            if ((step + 1) % Options.EvalEvery == 0 || last)
            {
                double eval = Evaluate();
                lastEval = eval;
                bool best = Schedule.ReportEval(eval);
                Metrics?.Write(new JsonObject { ["stage"] = Stage, ["step"] = step + 1, ["eval_loss"] = eval, ["best"] = best });
                if (best) SaveCheckpoint("best", State(step + 1));
            }
            if ((step + 1) % CheckpointEvery == 0 || last) SaveCheckpoint("last", State(step + 1));
            var done = step + 1 - startStep;
            var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (Options.Steps - step - 1));
            Progress?.Report(new TrainingProgress(Name, step + 1, Options.Steps, loss, lastEval, tps, clock.Elapsed, eta));
        }
        return new StageResult(Options.Steps, lastLoss, Schedule.BestEvalLoss, false);
    }

    (double Loss, Dictionary<string, double> Parts, long Tokens) Accumulate(long step)
    {
        double total = 0;
        long tokens = 0;
        var parts = new Dictionary<string, double>();
        int accum = Options.GradientAccumulation;
        for (int micro = 0; micro < accum; micro++)
        {
            using var scope = NewDisposeScope();
            BeforeMicroBatch?.Invoke(step, micro);
            var (ids, mask) = Data.Next(Options.BatchSize, Device);
            var batch = Loss(ids, mask);
            double value = batch.Loss.item<float>();
            foreach (var (k, v) in batch.Parts)
            {
                if (!double.IsFinite(v)) throw Diverged(step, k, v);
                parts[k] = parts.GetValueOrDefault(k) + v / accum;
            }
            if (!double.IsFinite(value)) throw Diverged(step, "loss", value);
            batch.Loss.Over(accum).backward();
            total += value / accum;
            tokens += mask.sum().item<long>();
        }
        return (total, parts, tokens);
    }

    TrainingDivergedException Diverged(long step, string part, double value) =>
        new($"{Name}: update {step + 1}: {part} is {value} (not finite); training stopped. The last good checkpoint is kept; " +
            "try a lower learning rate or gradient clipping (max_grad_norm).");

    CheckpointState State(long step) => StateTemplate with
    {
        Stage = Stage,
        Step = step,
        Data = Data.Position,
        PlateauFactor = Schedule.PlateauFactor,
        BadEvals = Schedule.BadEvals,
        BestEvalLoss = Schedule.BestEvalLoss,
    };
}
