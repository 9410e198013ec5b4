using System.Text.Json.Nodes;
using Lawcat.IO;
using Lawcat.Llama;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>A stage's checkpoint to continue from: its state and its tensors.</summary>
/// <param name="State">Where the stage stood.</param>
/// <param name="Tensors">The stored student tensors and optimizer moments.</param>
public sealed record ResumePoint(CheckpointState State, Dictionary<string, Tensor> Tensors);

/// <summary>
/// The folder of a distillation run: <c>options.json</c>, <c>metrics.jsonl</c>, <c>checkpoints/stageN-{last,best}.safetensors</c>
/// (resume state) and the passkey results; and the checks that resuming from it needs.
/// </summary>
public sealed class RunFolder(string path)
{
    /// <summary>The folder.</summary>
    public string Path { get; } = path;

    /// <summary>One line per update and evaluation.</summary>
    public string MetricsFile => System.IO.Path.Combine(Path, "metrics.jsonl");

    /// <summary>Where the passkey results go (the report's file name without extension).</summary>
    public string PasskeyResults => System.IO.Path.Combine(Path, "passkey");

    /// <summary>The checkpoint <paramref name="kind"/> (<c>last</c> or <c>best</c>) of stage <paramref name="stage"/>.</summary>
    public string Checkpoint(int stage, string kind) => System.IO.Path.Combine(Path, "checkpoints", $"stage{stage}-{kind}.safetensors");

    /// <summary>The files of a run that <see cref="Path"/> holds (options.json, metrics.jsonl, checkpoints): none for a new folder.</summary>
    public List<string> RunFiles() =>
        new[] { "options.json", "metrics.jsonl", "checkpoints" }.Where(f => System.IO.Path.Exists(System.IO.Path.Combine(Path, f))).ToList();

    /// <summary>Deletes the run's metrics and checkpoints, so that a new run in the folder does not continue them.</summary>
    public void ClearRun()
    {
        File.Delete(MetricsFile);
        var checkpoints = System.IO.Path.Combine(Path, "checkpoints");
        if (Directory.Exists(checkpoints)) Directory.Delete(checkpoints, recursive: true);
    }

    /// <summary>Creates the folder and writes the run's options, through a temporary file so a good options.json is never left half-written.</summary>
    public void WriteOptions(JsonObject options)
    {
        Directory.CreateDirectory(Path);
        var file = System.IO.Path.Combine(Path, "options.json");
        TextFiles.WriteWhole(file, options.ToJsonString(OptionsIO.Json));
    }

    /// <summary>
    /// The latest checkpoint (stage 2's, else stage 1's), refused when it was made with options other than
    /// <paramref name="options"/>; metrics logged after it are dropped, since the run repeats them.
    /// </summary>
    public ResumePoint LatestCheckpoint(JsonObject options)
    {
        var path = new[] { Checkpoint(2, "last"), Checkpoint(1, "last") }.FirstOrDefault(File.Exists)
            ?? throw new LawcatException($"{Path}: nothing to resume (no checkpoints/stage1-last.safetensors or stage2-last.safetensors).");
        var (state, tensors) = Training.Checkpoint.Load(path);
        TrainingResume.RequireSameOptions(path, state, options);
        MetricsLog.DropAfter(MetricsFile, state.Stage, state.Step);
        return new ResumePoint(state, tensors);
    }

    /// <summary>Copies stage <paramref name="stage"/>'s best checkpoint, if there is one, into <paramref name="model"/>.</summary>
    public void RestoreBest(LlamaModel model, int stage, Action<string> log)
    {
        var best = Checkpoint(stage, "best");
        if (!File.Exists(best)) return;
        var (state, tensors) = Training.Checkpoint.Load(best);
        Training.Checkpoint.CopyInto(model, tensors, state.Trainable, best);
        var reach = state.BestReach >= 0 ? $", reach {state.BestReach:P0} at eval loss {state.BestReachEvalLoss:G4}" : "";
        log($"stage {stage}: restored the best checkpoint (update {state.Step}{reach}; best eval loss {state.BestEvalLoss:G4})");
    }
}
