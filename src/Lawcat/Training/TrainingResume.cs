using System.Text.Json.Nodes;
using Lawcat.Data;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>
/// Continuing a training stage exactly where a checkpoint left it, shared by distillation and pretraining: the
/// options must be the run's own, and the weights, optimizer moments, schedule and data position come back as saved.
/// </summary>
public static class TrainingResume
{
    /// <summary>Refuses to resume the checkpoint at <paramref name="path"/> with options other than its own, naming each difference.</summary>
    public static void RequireSameOptions(string path, CheckpointState state, JsonObject options)
    {
        var diff = OptionsIO.Differences(state.Options, options);
        if (diff.Count > 0)
            throw new LawcatException($"{path}: cannot resume with different options; these differ from the run's:\n  " + string.Join("\n  ", diff));
    }

    /// <summary>
    /// Copies the checkpoint's trainable and frozen tensors into <paramref name="model"/> and restores the optimizer and
    /// schedule; returns the update to continue from and where the data stream stood.
    /// </summary>
    public static (long Start, DataPosition Position) Restore(LlamaModel model, AdamW optimizer, LearningRateSchedule schedule,
        CheckpointState state, IReadOnlyDictionary<string, Tensor> tensors, string source)
    {
        Checkpoint.CopyInto(model, tensors, state.Trainable.Concat(state.Frozen), source);
        optimizer.LoadState(tensors, state.Step);
        schedule.Restore(state.PlateauFactor, state.BadEvals, state.BestEvalLoss);
        return (state.Step, state.Data);
    }
}
