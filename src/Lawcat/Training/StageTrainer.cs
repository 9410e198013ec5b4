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
/// <param name="StoppedEarly">True when the stage ended before its last update because the eval loss had plateaued.</param>
public sealed record StageResult(long Steps, double LastLoss, double BestEvalLoss, bool Interrupted, bool StoppedEarly = false);

/// <summary>
/// The update loop shared by pretraining and both distillation stages: gradient accumulation, clipping, AdamW,
/// schedule, periodic evaluation with a best checkpoint (by eval loss or by reach), early stopping on a plateau,
/// periodic last checkpoints, JSON-lines metrics, progress reports, divergence checks and graceful cancellation.
/// Every piece of state it changes is in the checkpoint.
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
    /// <summary>Loss of one batch; called after <see cref="BeforeMicroBatch"/>.</summary>
    public required Func<TrainingBatch, BatchLoss> Loss { get; init; }
    /// <summary>The periodic evaluation (no gradients): held-out loss, and reach where measured.</summary>
    public required Func<EvalScore> Evaluate { get; init; }
    /// <summary>What makes an evaluation the best so far (the "best" checkpoint); reach needs <see cref="Evaluate"/> to measure it.</summary>
    public CheckpointSelection Selection { get; init; } = CheckpointSelection.EvalLoss;
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
    /// <summary>The checkpoint this stage resumes from, whose early-stopping and selection state carries on (null: a fresh start).</summary>
    public CheckpointState? Resumed { get; init; }

    int _staleEvals;
    bool _stoppedEarly;
    double _bestReach = -1, _bestReachEvalLoss = double.PositiveInfinity;

    /// <summary>Runs from update <paramref name="startStep"/> to <see cref="StageOptions.Steps"/>, or to a plateau of the eval loss.</summary>
    public StageResult Run(long startStep, CancellationToken cancel)
    {
        if (Resumed is not null)
            (_staleEvals, _stoppedEarly, _bestReach, _bestReachEvalLoss) = (Resumed.StaleEvals, Resumed.StoppedEarly, Resumed.BestReach, Resumed.BestReachEvalLoss);
        if (_stoppedEarly) return new StageResult(startStep, double.NaN, Schedule.BestEvalLoss, false, true);
        var clock = Stopwatch.StartNew();
        double lastLoss = double.NaN;
        double? lastEval = null;
        for (long step = startStep; step < Options.Steps; step++)
        {
            if (cancel.IsCancellationRequested)
            {
                Save("last", step);
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
                var eval = Evaluate();
                lastEval = eval.Loss;
                if (EvaluationIsBest(eval, step + 1)) Save("best", step + 1);
                _stoppedEarly = !last && Options.EarlyStopPatience > 0 && _staleEvals >= Options.EarlyStopPatience;
            }
            if ((step + 1) % CheckpointEvery == 0 || last || _stoppedEarly) Save("last", step + 1);
            var done = step + 1 - startStep;
            var eta = TimeSpan.FromSeconds(clock.Elapsed.TotalSeconds / done * (Options.Steps - step - 1));
            Progress?.Report(new TrainingProgress(Name, step + 1, Options.Steps, loss, lastEval, tps, clock.Elapsed, eta));
            if (_stoppedEarly) return new StageResult(step + 1, lastLoss, Schedule.BestEvalLoss, false, true);
        }
        return new StageResult(Options.Steps, lastLoss, Schedule.BestEvalLoss, false);
    }

    /// <summary>
    /// Saves the <paramref name="kind"/> checkpoint after <paramref name="step"/> updates, unless an update made a trained
    /// parameter non-finite (a finite loss and gradient can still step to infinity): then the stage stops as diverged and
    /// the checkpoints already written stay the last good ones.
    /// </summary>
    void Save(string kind, long step)
    {
        foreach (var (name, p) in Optimizer.Parameters)
        {
            using var scope = NewDisposeScope();
            if (!p.isfinite().all().item<bool>())
                throw new TrainingDivergedException($"{Name}: update {step}: parameter {name} is no longer finite; training stopped. " +
                    "The last good checkpoint is kept; try a lower learning rate or gradient clipping (max_grad_norm).");
        }
        SaveCheckpoint(kind, State(step));
    }

    /// <summary>Reports the evaluation to the schedule and the metrics; true when it makes a new best checkpoint.</summary>
    bool EvaluationIsBest(EvalScore eval, long step)
    {
        // A diverged model's held-out loss is NaN; the metrics file cannot hold it, and the schedule must not see it.
        if (!double.IsFinite(eval.Loss)) throw Diverged(step - 1, "held-out loss", eval.Loss);
        foreach (var (k, v) in eval.Parts ?? new Dictionary<string, double>())
            if (!double.IsFinite(v)) throw Diverged(step - 1, k, v);
        bool improved = Schedule.ReportEval(eval.Loss);
        _staleEvals = improved ? 0 : _staleEvals + 1;
        bool best = improved;
        if (Selection == CheckpointSelection.Reach)
        {
            double reach = eval.Reach ?? throw new InvalidOperationException("selection by reach needs an evaluation that measures reach");
            best = reach > _bestReach || (reach == _bestReach && eval.Loss < _bestReachEvalLoss);
            if (best) (_bestReach, _bestReachEvalLoss) = (reach, eval.Loss);
        }
        var record = new JsonObject { ["stage"] = Stage, ["step"] = step, ["eval_loss"] = eval.Loss, ["best"] = best };
        if (eval.Reach is double r) record["reach"] = r;
        foreach (var (k, v) in eval.Parts ?? new Dictionary<string, double>()) record[k] = v;
        Metrics?.Write(record);
        return best;
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
            var next = Data.Next(Options.BatchSize, Device);
            var batch = Loss(next);
            double value = batch.Loss.item<float>();
            foreach (var (k, v) in batch.Parts)
            {
                if (!double.IsFinite(v)) throw Diverged(step, k, v);
                parts[k] = parts.GetValueOrDefault(k) + v / accum;
            }
            if (!double.IsFinite(value)) throw Diverged(step, "loss", value);
            batch.Loss.Over(accum).backward();
            total += value / accum;
            tokens += next.Mask.sum().item<long>();
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
        StaleEvals = _staleEvals,
        StoppedEarly = _stoppedEarly,
        BestReach = _bestReach,
        BestReachEvalLoss = _bestReachEvalLoss,
    };
}
