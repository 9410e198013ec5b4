using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.Data;
using Lawcat.IO;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>Everything besides tensors that resuming needs, stored as JSON in the checkpoint's metadata.</summary>
public sealed record CheckpointState
{
    /// <summary>1 = attention transfer, 2 = fine-tuning.</summary>
    public int Stage { get; init; }
    /// <summary>Updates done in this stage.</summary>
    public long Step { get; init; }
    /// <summary>Where the data stream stands.</summary>
    public DataPosition Data { get; init; } = new(0, 0);
    /// <summary>Learning-rate schedule state.</summary>
    public double PlateauFactor { get; init; } = 1;
    /// <inheritdoc cref="PlateauFactor"/>
    public int BadEvals { get; init; }
    /// <summary>Best eval loss of this stage so far.</summary>
    public double BestEvalLoss { get; init; } = double.PositiveInfinity;
    /// <summary>Evaluations in a row that have not improved the eval loss (for early stopping).</summary>
    public int StaleEvals { get; init; }
    /// <summary>True when the stage ended early on a plateau of the eval loss, so resuming does not continue it.</summary>
    public bool StoppedEarly { get; init; }
    /// <summary>Selection by reach: the reach and eval loss of the best checkpoint so far (reach −1 before any).</summary>
    public double BestReach { get; init; } = -1;
    /// <inheritdoc cref="BestReach"/>
    public double BestReachEvalLoss { get; init; } = double.PositiveInfinity;
    /// <summary>Whether LoRA adapters exist in the model (stage 2 with LoRA).</summary>
    public bool HasLora { get; init; }
    /// <summary>Names of the trainable tensors stored (their optimizer moments are stored too).</summary>
    public string[] Trainable { get; init; } = Array.Empty<string>();
    /// <summary>
    /// Names of the stored student tensors this stage does not train (stage 2's LAWCAT parameters with
    /// <c>train_lawcat=false</c>): no optimizer state, but needed to rebuild the student from this checkpoint alone.
    /// </summary>
    public string[] Frozen { get; init; } = Array.Empty<string>();
    /// <summary>The run's full options.</summary>
    public JsonObject Options { get; init; } = new();
    /// <summary>The teacher the student was distilled from.</summary>
    public TeacherIdentity Teacher { get; init; } = new("", "");
    /// <summary>Training wall time so far, summed over every command that ran this training (seconds).</summary>
    public double ElapsedSeconds { get; init; }
    /// <summary>The command lines that ran this training so far, the first one and each one that resumed it.</summary>
    public string[] Commands { get; init; } = Array.Empty<string>();
}

/// <summary>
/// A training checkpoint: the trainable tensors, optimizer moments and frozen student tensors as safetensors, with <see cref="CheckpointState"/>
/// as JSON in the header metadata, in one file written to a temporary name and renamed, so a crash never leaves a
/// half-written checkpoint in place of a good one. A readable .json copy of the state is written beside it.
/// </summary>
public static class Checkpoint
{
    const string MetadataKey = "lawcat.checkpoint";

    /// <summary>Writes <paramref name="tensors"/> and <paramref name="state"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, CheckpointState state, IEnumerable<KeyValuePair<string, Tensor>> tensors)
    {
        var json = JsonSerializer.Serialize(state, OptionsIO.Json);
        SafetensorsFile.Write(path, tensors, new Dictionary<string, string> { [MetadataKey] = json, ["format"] = "pt" });
        var sidecar = Path.ChangeExtension(path, ".json");
        File.WriteAllText(sidecar + ".tmp", json);
        File.Move(sidecar + ".tmp", sidecar, overwrite: true);
    }

    /// <summary>Reads a checkpoint: its state and its tensors (CPU).</summary>
    public static (CheckpointState State, Dictionary<string, Tensor> Tensors) Load(string path)
    {
        var file = SafetensorsFile.Open(path);
        var state = StateOf(file);
        var missing = state.Trainable.Concat(state.Frozen).Where(n => !file.Entries.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new LawcatException($"{path}: checkpoint lists {missing.Count} tensors it does not hold, e.g. {missing[0]}.");
        return (state, file.ReadAll());
    }

    /// <summary>Reads only a checkpoint's state (its header), not its tensors.</summary>
    public static CheckpointState ReadState(string path) => StateOf(SafetensorsFile.Open(path));

    static CheckpointState StateOf(SafetensorsFile file)
    {
        if (!file.Metadata.TryGetValue(MetadataKey, out var json))
            throw new LawcatException($"{file.Path}: not a LAWCAT checkpoint (no '{MetadataKey}' metadata).");
        try { return JsonSerializer.Deserialize<CheckpointState>(json, OptionsIO.Json)!; }
        catch (JsonException e) { throw new LawcatException($"{file.Path}: corrupt checkpoint metadata: {e.Message}"); }
    }

    /// <summary>Copies the named tensors into the model's parameters; every name must exist with the same shape.</summary>
    public static void CopyInto(LlamaModel model, IReadOnlyDictionary<string, Tensor> tensors, IEnumerable<string> names, string source)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        foreach (var name in names)
        {
            if (!parameters.TryGetValue(name, out var p)) throw new LawcatException($"{source}: tensor '{name}' has no matching parameter in the student.");
            var t = tensors[name];
            if (!t.shape.SequenceEqual(p.shape))
                throw new LawcatException($"{source}: tensor '{name}' has shape [{string.Join(", ", t.shape)}], the student expects [{string.Join(", ", p.shape)}].");
            p.copy_(t);
        }
    }
}
