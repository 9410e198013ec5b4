using System.Text.Json.Nodes;
using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Data;
using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Lawcat.Training;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>What a distillation run produced.</summary>
/// <param name="RunDir">The run folder (options, metrics, checkpoints, evaluation results).</param>
/// <param name="Stage1">Attention transfer result (null if skipped).</param>
/// <param name="Stage2">Fine-tuning result (null if skipped).</param>
/// <param name="Conversion">What the conversion added.</param>
/// <param name="Checkpoint">The student's final checkpoint.</param>
/// <param name="Passkey">Passkey results per model and length (empty if not evaluated).</param>
/// <param name="Interrupted">True when stopped by cancellation (a checkpoint was written).</param>
public sealed record DistillResult(string RunDir, StageResult? Stage1, StageResult? Stage2, ConversionReport Conversion, string Checkpoint,
    IReadOnlyList<EvalResult> Passkey, bool Interrupted);

/// <summary>
/// A whole distillation (docs/lawcat.md §2): load the teacher, convert it, stage 1 attention transfer (only LAWCAT parameters
/// train; each layer learns to reproduce the teacher's pre-o_proj output while the teacher's output flows on), restore
/// the best stage-1 weights, stage 2 fine-tuning (the student's own outputs flow; next-token cross-entropy, optional KL;
/// LoRA and/or chosen parameters), then passkey retrieval for teacher and student at multiples of the training length.
/// Checkpoints after every <c>checkpoint_every</c> updates make the run resumable to the bit.
/// </summary>
public sealed class DistillationRun
{
    readonly DistillOptions _o;
    readonly string _runDir;
    readonly IProgress<TrainingProgress>? _progress;
    readonly Action<string> _log;
    ReachEvaluation? _reach;

    /// <summary>A run of <paramref name="options"/> writing into <paramref name="runDir"/>.</summary>
    public DistillationRun(DistillOptions options, string runDir, IProgress<TrainingProgress>? progress = null, Action<string>? log = null)
    {
        (_o, _runDir, _progress, _log) = (options.Validate(), runDir, progress, log ?? (_ => { }));
    }

    string CheckpointPath(int stage, string kind) => Path.Combine(_runDir, "checkpoints", $"stage{stage}-{kind}.safetensors");

    /// <summary>The teacher folder the options name, or the embedded tiny teacher.</summary>
    public string TeacherFolder => _o.Teacher ?? DataFiles.TinyTeacher();

    /// <summary>
    /// The student the last <see cref="Run"/> trained, as training left it in memory (on the run's device); null before a run.
    /// The final checkpoint rebuilds the same model through <see cref="StudentModel.Load"/>.
    /// </summary>
    public LlamaModel? Student { get; private set; }

    /// <summary>Runs (or, with <paramref name="resume"/>, continues) the distillation.</summary>
    public DistillResult Run(Device device, bool resume, Action<EvalResult>? onEvalSample = null, CancellationToken cancel = default)
    {
        Directory.CreateDirectory(_runDir);
        var optionsJson = OptionsIO.ToJson(_o);
        var (resumeState, resumeTensors) = resume ? LatestCheckpoint(optionsJson) : (null, null);
        File.WriteAllText(Path.Combine(_runDir, "options.json"), optionsJson.ToJsonString(OptionsIO.Json));
        var teacherFolder = TeacherFolder;
        var identity = TeacherIdentity.Of(teacherFolder);
        if (resumeState is not null && resumeState.Teacher.Fingerprint != identity.Fingerprint)
            throw new LawcatException($"{_runDir}: the checkpoint was made with another teacher than {teacherFolder}; resume with the same teacher.");
        var dtype = DTypeNames.Parse(_o.Dtype, "option dtype");
        _log($"teacher: {teacherFolder} ({dtype}, {device})");
        var model = StudentFolder.Load(teacherFolder, dtype, device);
        Student = model;
        var tokenizer = BpeTokenizer.FromModelFolder(teacherFolder);
        manual_seed(_o.Seed);   // the new parameters' initialization
        var conversion = LawcatConversion.Convert(model, _o.Lawcat, _o.SoftmaxLayers);
        _log($"converted {conversion.ConvertedLayers.Count} layers to LAWCAT: {conversion.NewParameters:N0} new parameters ({100.0 * conversion.NewParameters / conversion.TotalParameters:F2}% of {conversion.TotalParameters:N0})");
        var data = LoadData(tokenizer);
        _log($"data: {data.TokenCount:N0} tokens, {data.TrainChunks.Count} training and {data.EvalChunks.Count} held-out chunks of {_o.Data.SequenceLength}");
        var (ratioKey, ratio) = new[] { ("data.passkey_ratio", _o.Data.PasskeyRatio), ("stage1.passkey_ratio", PasskeyRatio(_o.Stage1)),
            ("stage2.passkey_ratio", PasskeyRatio(_o.Stage2)) }.MaxBy(r => r.Item2);
        var synthetic = PasskeyTrainingSamples.IfTheyFit(tokenizer, _o.Data.SequenceLength, _o.Seed, ratio, ratioKey, "data.sequence_length", _log);
        _reach = _o.ReachEval is null ? null : new ReachEvaluation(_o.ReachEval, _o.Data.SequenceLength, tokenizer);
        var template = new CheckpointState { Options = optionsJson, Teacher = identity };
        using var metrics = new MetricsLog(Path.Combine(_runDir, "metrics.jsonl"));

        StageResult? s1 = null, s2 = null;
        bool stage2Started = resumeState?.Stage == 2;
        if (_o.Stage1.Steps > 0 && !stage2Started)
        {
            s1 = RunStage1(model, data, synthetic, device, template, metrics, resumeState, resumeTensors, cancel);
            if (s1.Interrupted) return Finish(s1, null, conversion, CheckpointPath(1, "last"), new List<EvalResult>(), true);
            RestoreBest(model, 1);
        }
        else if (stage2Started)
        {
            _log("resuming in stage 2");
            RestoreBest(model, 1);
        }
        if (_o.Stage2.Steps > 0)
        {
            s2 = RunStage2(model, data, synthetic, device, template, metrics, stage2Started ? resumeState : null, stage2Started ? resumeTensors : null, cancel);
            if (s2.Interrupted) return Finish(s1, s2, conversion, CheckpointPath(2, "last"), new List<EvalResult>(), true);
            if (_o.Stage2.SelectBy == CheckpointSelection.Reach) RestoreBest(model, 2);
        }
        var final = _o.Stage2.Steps == 0 ? CheckpointPath(1, "best")
            : _o.Stage2.SelectBy == CheckpointSelection.Reach ? CheckpointPath(2, "best") : CheckpointPath(2, "last");
        List<EvalResult> passkey;
        try { passkey = _o.PasskeyEval is null ? new List<EvalResult>() : EvaluatePasskey(model, teacherFolder, tokenizer, dtype, device, onEvalSample, cancel); }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // Training is done and checkpointed; resuming evaluates again.
            return Finish(s1, s2, conversion, final, new List<EvalResult>(), true);
        }
        return Finish(s1, s2, conversion, final, passkey, false);
    }

    DistillResult Finish(StageResult? s1, StageResult? s2, ConversionReport conversion, string checkpoint, List<EvalResult> passkey, bool interrupted)
    {
        if (passkey.Count > 0) EvalReport.Save(passkey, Path.Combine(_runDir, "passkey"));
        return new DistillResult(_runDir, s1, s2, conversion, checkpoint, passkey, interrupted);
    }

    PackedDataset LoadData(ITokenizer tokenizer)
    {
        var files = _o.Data.Files.Length > 0 ? _o.Data.Files : DataFiles.GutenbergBooks().ToArray();
        long perEpoch = Math.Max((long)_o.Stage1.Steps * _o.Stage1.BatchSize * _o.Stage1.GradientAccumulation,
            (long)_o.Stage2.Steps * _o.Stage2.BatchSize * _o.Stage2.GradientAccumulation);
        long maxTokens = _o.Data.MaxTokens > 0 ? _o.Data.MaxTokens : (perEpoch + _o.Data.EvalChunks + 1) * _o.Data.SequenceLength * 2;
        return PackedDataset.Build(TrainingText.Documents(files), tokenizer, _o.Data.SequenceLength, _o.Data.EvalChunks, maxTokens, DataSizeKeys.Distill);
    }

    StageResult RunStage1(LlamaModel model, PackedDataset data, PasskeyTrainingSamples? synthetic, Device device, CheckpointState template,
        MetricsLog metrics, CheckpointState? resumeState, Dictionary<string, Tensor>? resumeTensors, CancellationToken cancel)
    {
        LawcatConversion.SetMode(model, LawcatMode.AttentionTransfer);
        model.train();
        var trainable = LawcatConversion.NewParameters(model).ToList();
        var coverage = new StateCoverage(_o.Stage1.StateCoverage, data, StreamSeed(1));
        return RunStage(1, "stage 1: attention transfer", _o.Stage1, model, trainable, new(), data, synthetic, device, template, metrics, resumeState, resumeTensors,
            batch => StageLosses.AttentionTransfer(model, coverage.Prepare(batch), _o.Stage1.MseWeight),
            () => Evaluate(model, data, device, (ids, mask) => StageLosses.AttentionTransfer(model, ids, mask, _o.Stage1.MseWeight)), null, cancel);
    }

    StageResult RunStage2(LlamaModel model, PackedDataset data, PasskeyTrainingSamples? synthetic, Device device, CheckpointState template,
        MetricsLog metrics, CheckpointState? resumeState, Dictionary<string, Tensor>? resumeTensors, CancellationToken cancel)
    {
        var s = _o.Stage2;
        LawcatConversion.SetMode(model, LawcatMode.Student);
        foreach (var (_, p) in LawcatConversion.NewParameters(model)) p.requires_grad = s.TrainLawcat;
        var trainable = new List<(string Name, Parameter Param)>();
        manual_seed(Seeds.Combine(_o.Seed, 2));   // LoRA's initialization
        if (s.UseLora) trainable.AddRange(Lora.Apply(model, s.Lora));
        if (s.TrainLawcat) trainable.AddRange(LawcatConversion.NewParameters(model));
        trainable.AddRange(FullFinetune(model, s.FullFinetune));
        if (trainable.Count == 0) throw new LawcatException("stage 2 has nothing to train: enable stage2.use_lora, stage2.train_lawcat or stage2.full_finetune.");
        foreach (var (_, p) in trainable) p.requires_grad = true;
        // Frozen LAWCAT parameters (train_lawcat=false) still differ from a fresh conversion, so a student needs them.
        var trainableNames = trainable.Select(t => t.Name).ToHashSet();
        var frozen = LawcatConversion.NewParameters(model).Where(p => !trainableNames.Contains(p.Name)).ToList();
        model.train();
        BatchLoss Loss(StageInput input) => StageLosses.NextToken(model, input, s.KlWeight > 0 ? TeacherLogits(model, input) : null, s.KlWeight);
        var coverage = new StateCoverage(s.StateCoverage, data, StreamSeed(2));
        var adapters = Lora.Adapters(model).Select(a => a.Module).ToList();
        Action<long, int> seedDropout = (step, micro) =>
        {
            for (int i = 0; i < adapters.Count; i++) adapters[i].DropoutGenerator = new Generator((ulong)Seeds.Combine(_o.Seed, step, micro, i), device);
        };
        return RunStage(2, "stage 2: fine-tuning", s, model, trainable, frozen, data, synthetic, device, template with { HasLora = s.UseLora }, metrics,
            resumeState, resumeTensors, batch => Loss(coverage.Prepare(batch)), () => Evaluate(model, data, device, (ids, mask) => Loss(StageInput.Plain(ids, mask))),
            seedDropout, cancel);
    }

    /// <summary>The share of passkey samples in a stage.</summary>
    double PasskeyRatio(DistillStageOptions stage) => stage.PasskeyRatio ?? _o.Data.PasskeyRatio;

    /// <summary>The data stream's seed in stage <paramref name="stage"/>; state coverage draws from it too.</summary>
    int StreamSeed(int stage) => Seeds.Combine(_o.Seed, stage);

    /// <summary>The teacher's logits on the stage input (the teacher has no recurrent state: it reads a carried-over prefix as context).</summary>
    static Tensor TeacherLogits(LlamaModel model, StageInput input)
    {
        using var _ = no_grad();
        Lora.SetEnabled(model, false);
        LawcatConversion.SetMode(model, LawcatMode.Teacher);
        try { return model.Forward(input.Ids, input.KeyMask); }
        finally
        {
            LawcatConversion.SetMode(model, LawcatMode.Student);
            Lora.SetEnabled(model, true);
        }
    }

    static IEnumerable<(string, Parameter)> FullFinetune(LlamaModel model, string[] patterns)
    {
        if (patterns.Length == 0) yield break;
        var regexes = patterns.Select(p => new System.Text.RegularExpressions.Regex("^" + System.Text.RegularExpressions.Regex.Escape(p).Replace("\\*", "[^.]*") + "$")).ToList();
        var found = model.named_parameters().Where(p => regexes.Any(r => r.IsMatch(p.name))).Select(p => (p.name, p.parameter)).ToList();
        if (found.Count == 0) throw new LawcatException($"stage2.full_finetune: no parameter matches {string.Join(", ", patterns)} (names look like model.layers.0.mlp.down_proj.weight).");
        foreach (var f in found) yield return f;
    }

    /// <remarks>
    /// Checkpoints hold <paramref name="trainable"/> with their optimizer moments and <paramref name="frozen"/>, the
    /// student's non-teacher parameters this stage does not train, so each one rebuilds the whole student.
    /// </remarks>
    StageResult RunStage(int stage, string name, DistillStageOptions o, LlamaModel model, List<(string Name, Parameter Param)> trainable,
        List<(string Name, Parameter Param)> frozen, PackedDataset data,
        PasskeyTrainingSamples? synthetic, Device device, CheckpointState template, MetricsLog metrics, CheckpointState? resumeState,
        Dictionary<string, Tensor>? resumeTensors, Func<TrainingBatch, BatchLoss> loss, Func<EvalScore> evaluate, Action<long, int>? beforeMicro,
        CancellationToken cancel)
    {
        using var optimizer = new AdamW(trainable, o.LearningRate, weightDecay: o.WeightDecay);
        var schedule = new LearningRateSchedule(o.Schedule, o.LearningRate, o.WarmupSteps, o.Steps, o.Patience);
        long start = 0;
        DataPosition? position = null;
        if (resumeState is not null && resumeTensors is not null)
        {
            (start, position) = TrainingResume.Restore(model, optimizer, schedule, resumeState, resumeTensors, "resume");
            _log($"{name}: resuming at update {start}");
        }
        var stream = new BatchStream(data, StreamSeed(stage), position, PasskeyRatio(o), synthetic is null ? null : synthetic.Sample);
        var trainer = new StageTrainer
        {
            Stage = stage, Name = name, Options = o, Optimizer = optimizer, Schedule = schedule, Data = stream, Device = device,
            Loss = loss, Evaluate = evaluate, CheckpointEvery = _o.CheckpointEvery, Metrics = metrics, Progress = _progress,
            BeforeMicroBatch = beforeMicro, Resumed = resumeState, Selection = o.SelectBy,
            StateTemplate = template with { Trainable = trainable.Select(t => t.Name).ToArray(), Frozen = frozen.Select(t => t.Name).ToArray() },
            SaveCheckpoint = (kind, state) => Checkpoint.Save(CheckpointPath(stage, kind), state,
                trainable.Concat(frozen).Select(t => KeyValuePair.Create(t.Name, (Tensor)t.Param)).Concat(optimizer.StateTensors())),
        };
        try { return trainer.Run(start, cancel); }
        catch (Exception e) when (OutOfDeviceMemoryException.IsOutOfMemory(e))
        {
            throw new OutOfDeviceMemoryException(new TrainingSizes(name, $"stage{stage}", o.BatchSize, o.GradientAccumulation,
                _o.Data.SequenceLength, "data.sequence_length", device.ToString(), _o.Dtype, "dtype"), e);
        }
    }

    /// <summary>The held-out loss, and the reach when <c>reach_eval</c> asks for it.</summary>
    EvalScore Evaluate(LlamaModel model, PackedDataset data, Device device, Func<Tensor, Tensor, BatchLoss> loss)
    {
        var score = EvalLoss(data, device, loss);
        if (_reach is null) return score;
        var (reach, parts) = _reach.Score(model);
        return score with { Reach = reach, Parts = score.Parts!.Concat(parts).ToDictionary(kv => kv.Key, kv => kv.Value) };
    }

    /// <summary>The mean loss over the held-out chunks, with the mean of each of its parts logged as <c>eval.PART</c>.</summary>
    static EvalScore EvalLoss(PackedDataset data, Device device, Func<Tensor, Tensor, BatchLoss> loss)
    {
        using var _ = no_grad();
        double total = 0;
        var parts = new Dictionary<string, double>();
        foreach (var c in data.EvalChunks)
        {
            using var scope = NewDisposeScope();
            var (ids, mask) = PackedDataset.ToBatch(new[] { data.Chunk(c) }, data.SequenceLength, data.PadId, device);
            var batch = loss(ids, mask);
            total += batch.Loss.item<float>();
            foreach (var (k, v) in batch.Parts) parts[$"eval.{k}"] = parts.GetValueOrDefault($"eval.{k}") + v / data.EvalChunks.Count;
        }
        return new EvalScore(total / data.EvalChunks.Count, null, parts);
    }

    void RestoreBest(LlamaModel model, int stage)
    {
        var best = CheckpointPath(stage, "best");
        if (!File.Exists(best)) return;
        var (state, tensors) = Checkpoint.Load(best);
        Checkpoint.CopyInto(model, tensors, state.Trainable, best);
        var reach = state.BestReach >= 0 ? $", reach {state.BestReach:P0} at eval loss {state.BestReachEvalLoss:G4}" : "";
        _log($"stage {stage}: restored the best checkpoint (update {state.Step}{reach}; best eval loss {state.BestEvalLoss:G4})");
    }

    (CheckpointState?, Dictionary<string, Tensor>?) LatestCheckpoint(JsonObject optionsJson)
    {
        var path = new[] { CheckpointPath(2, "last"), CheckpointPath(1, "last") }.FirstOrDefault(File.Exists)
            ?? throw new LawcatException($"{_runDir}: nothing to resume (no checkpoints/stage1-last.safetensors or stage2-last.safetensors).");
        var (state, tensors) = Checkpoint.Load(path);
        TrainingResume.RequireSameOptions(path, state, optionsJson);
        MetricsLog.DropAfter(Path.Combine(_runDir, "metrics.jsonl"), state.Stage, state.Step);
        return (state, tensors);
    }

    List<EvalResult> EvaluatePasskey(LlamaModel student, string teacherFolder, ITokenizer tokenizer, ScalarType dtype, Device device,
        Action<EvalResult>? onSample, CancellationToken cancel)
    {
        var pe = _o.PasskeyEval!;
        var lengths = pe.LengthMultiples.Select(m => m * _o.Data.SequenceLength).ToArray();
        var plan = new EvalPlan(new PasskeyGenerator(pe.Seed), lengths, new double?[] { null }, pe.Samples, PasskeyGenerator.AnswerTokens);
        var results = new List<EvalResult>();
        using (no_grad())
        {
            LawcatConversion.SetMode(student, LawcatMode.Student);
            student.eval();
            if (pe.Teacher)
            {
                _log("passkey: teacher");
                var teacher = StudentFolder.Load(teacherFolder, dtype, device);
                results.AddRange(EvalRunner.Run(teacher, "teacher", tokenizer, plan, onSample, cancel));
                teacher.Dispose();
            }
            _log("passkey: student");
            results.AddRange(EvalRunner.Run(student, "student", tokenizer, plan, onSample, cancel));
        }
        return results;
    }
}
