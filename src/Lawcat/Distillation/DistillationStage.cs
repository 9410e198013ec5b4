using Lawcat.Data;
using Lawcat.Llama;
using Lawcat.Training;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>What both stages of one distillation run share.</summary>
/// <param name="Options">The run's options.</param>
/// <param name="Folder">The run folder (checkpoints, metrics).</param>
/// <param name="Model">The converted student, on <paramref name="Device"/>.</param>
/// <param name="Data">The packed training and held-out text.</param>
/// <param name="Synthetic">Passkey training samples, or null when none fit.</param>
/// <param name="Device">Where training runs.</param>
/// <param name="Template">The checkpoint state every checkpoint starts from (options, teacher).</param>
/// <param name="Metrics">The metrics log.</param>
/// <param name="Reach">Passkey reach measured at every evaluation, or null.</param>
/// <param name="Progress">Progress reports, or null.</param>
/// <param name="Log">Messages for the user.</param>
sealed record StageContext(DistillOptions Options, RunFolder Folder, LlamaModel Model, PackedDataset Data, PasskeyTrainingSamples? Synthetic,
    Device Device, CheckpointState Template, MetricsLog Metrics, ReachEvaluation? Reach, IProgress<TrainingProgress>? Progress, Action<string> Log)
{
    /// <summary>The data stream's seed in stage <paramref name="stage"/>; state coverage draws from it too.</summary>
    public int StreamSeed(int stage) => Seeds.Combine(Options.Seed, stage);
}

/// <summary>What one stage trains and how.</summary>
/// <param name="Stage">1 or 2.</param>
/// <param name="Name">Its name in logs and progress.</param>
/// <param name="Options">Its options.</param>
/// <param name="Trainable">The parameters it trains (stored in checkpoints with their optimizer moments).</param>
/// <param name="Frozen">The student's non-teacher parameters it does not train (stored too, so each checkpoint rebuilds the whole student).</param>
/// <param name="Loss">The training loss of a batch.</param>
/// <param name="Evaluate">The held-out score.</param>
/// <param name="BeforeMicroBatch">Called before each micro-batch with the update and micro-batch index, or null.</param>
/// <param name="Template">The checkpoint state of this stage.</param>
sealed record StagePlan(int Stage, string Name, DistillStageOptions Options, List<(string Name, Parameter Param)> Trainable,
    List<(string Name, Parameter Param)> Frozen, Func<TrainingBatch, BatchLoss> Loss, Func<EvalScore> Evaluate, Action<long, int>? BeforeMicroBatch,
    CheckpointState Template);

/// <summary>The training loop both stages share: optimizer, schedule, data stream, resume, checkpoints, held-out evaluation.</summary>
static class DistillationStage
{
    /// <summary>Trains <paramref name="plan"/> from its start or from <paramref name="resume"/>.</summary>
    public static StageResult Run(StageContext c, StagePlan plan, ResumePoint? resume, CancellationToken cancel)
    {
        var o = plan.Options;
        using var optimizer = new AdamW(plan.Trainable, o.LearningRate, weightDecay: o.WeightDecay);
        var schedule = new LearningRateSchedule(o.Schedule, o.LearningRate, o.WarmupSteps, o.Steps, o.Patience);
        long start = 0;
        DataPosition? position = null;
        if (resume is not null)
        {
            (start, position) = TrainingResume.Restore(c.Model, optimizer, schedule, resume.State, resume.Tensors, "resume");
            c.Log($"{plan.Name}: resuming at update {start}");
        }
        var ratio = o.PasskeyRatio ?? c.Options.Data.PasskeyRatio;
        var stream = new BatchStream(c.Data, c.StreamSeed(plan.Stage), position, ratio, c.Synthetic is null ? null : c.Synthetic.Sample);
        var trainer = new StageTrainer
        {
            Stage = plan.Stage, Name = plan.Name, Options = o, Optimizer = optimizer, Schedule = schedule, Data = stream, Device = c.Device,
            Loss = plan.Loss, Evaluate = plan.Evaluate, CheckpointEvery = c.Options.CheckpointEvery, Metrics = c.Metrics, Progress = c.Progress,
            BeforeMicroBatch = plan.BeforeMicroBatch, Resumed = resume?.State, Selection = o.SelectBy,
            StateTemplate = plan.Template with { Trainable = plan.Trainable.Select(t => t.Name).ToArray(), Frozen = plan.Frozen.Select(t => t.Name).ToArray() },
            SaveCheckpoint = (kind, state) => Checkpoint.Save(c.Folder.Checkpoint(plan.Stage, kind), state,
                plan.Trainable.Concat(plan.Frozen).Select(t => KeyValuePair.Create(t.Name, (Tensor)t.Param)).Concat(optimizer.StateTensors())),
        };
        try { return trainer.Run(start, cancel); }
        catch (Exception e) when (OutOfDeviceMemoryException.IsOutOfMemory(e))
        {
            throw new OutOfDeviceMemoryException(new TrainingSizes(plan.Name, $"stage{plan.Stage}", o.BatchSize, o.GradientAccumulation,
                c.Options.Data.SequenceLength, "data.sequence_length", c.Device.ToString(), c.Options.Dtype, "dtype"), e);
        }
    }

    /// <summary>The held-out loss under <paramref name="loss"/>, and the reach when <c>reach_eval</c> asks for it.</summary>
    public static EvalScore Evaluate(StageContext c, Func<Tensor, Tensor, BatchLoss> loss)
    {
        var score = EvalLoss(c.Data, c.Device, loss);
        if (c.Reach is null) return score;
        var (reach, parts) = c.Reach.Score(c.Model);
        return score with { Reach = reach, Parts = score.Parts!.Concat(parts).ToDictionary(kv => kv.Key, kv => kv.Value) };
    }

    /// <summary>The mean loss over the held-out chunks, with the mean of each of its parts logged as <c>eval.PART</c>.</summary>
    static EvalScore EvalLoss(PackedDataset data, Device device, Func<Tensor, Tensor, BatchLoss> loss)
    {
        using var _ = no_grad();
        double total = 0;
        var parts = new Dictionary<string, double>();
        foreach (var chunk in data.EvalChunks)
        {
            using var scope = NewDisposeScope();
            var (ids, mask) = PackedDataset.ToBatch(new[] { data.Chunk(chunk) }, data.SequenceLength, data.PadId, device);
            var batch = loss(ids, mask);
            total += batch.Loss.item<float>();
            foreach (var (k, v) in batch.Parts) parts[$"eval.{k}"] = parts.GetValueOrDefault($"eval.{k}") + v / data.EvalChunks.Count;
        }
        return new EvalScore(total / data.EvalChunks.Count, null, parts);
    }
}
