using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Data;
using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Lawcat.Training;
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
/// A whole distillation (docs/lawcat.md §2): load the teacher, convert it, stage 1 attention transfer
/// (<see cref="AttentionTransferStage"/>), restore the best stage-1 weights, stage 2 fine-tuning
/// (<see cref="FineTuneStage"/>), then passkey retrieval for teacher and student at multiples of the training length.
/// Checkpoints after every <c>checkpoint_every</c> updates make the run resumable to the bit.
/// </summary>
public sealed class DistillationRun
{
    readonly DistillOptions _o;
    readonly RunFolder _folder;
    readonly IProgress<TrainingProgress>? _progress;
    readonly Action<string> _log;

    /// <summary>A run of <paramref name="options"/> writing into <paramref name="runDir"/>.</summary>
    public DistillationRun(DistillOptions options, string runDir, IProgress<TrainingProgress>? progress = null, Action<string>? log = null)
    {
        (_o, _folder, _progress, _log) = (options.Validate(), new RunFolder(runDir), progress, log ?? (_ => { }));
    }

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
        var optionsJson = OptionsIO.ToJson(_o);
        Directory.CreateDirectory(_folder.Path);
        var resumePoint = resume ? _folder.LatestCheckpoint(optionsJson) : null;
        _folder.WriteOptions(optionsJson);
        var teacherFolder = TeacherFolder;
        var identity = TeacherIdentity.Of(teacherFolder);
        if (resumePoint is not null && resumePoint.State.Teacher.Fingerprint != identity.Fingerprint)
            throw new LawcatException($"{_folder.Path}: the checkpoint was made with another teacher than {teacherFolder}; resume with the same teacher.");
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
        var synthetic = SyntheticSamples(tokenizer);
        var reach = _o.ReachEval is null ? null : new ReachEvaluation(_o.ReachEval, _o.Data.SequenceLength, tokenizer);
        using var metrics = new MetricsLog(_folder.MetricsFile);
        var stages = new StageContext(_o, _folder, model, data, synthetic, device, new CheckpointState { Options = optionsJson, Teacher = identity },
            metrics, reach, _progress, _log);

        StageResult? s1 = null, s2 = null;
        bool stage2Started = resumePoint?.State.Stage == 2;
        if (_o.Stage1.Steps > 0 && !stage2Started)
        {
            s1 = AttentionTransferStage.Run(stages, resumePoint, cancel);
            if (s1.Interrupted) return Finish(s1, null, conversion, _folder.Checkpoint(1, "last"), new List<EvalResult>(), true);
            _folder.RestoreBest(model, 1, _log);
        }
        else if (stage2Started)
        {
            _log("resuming in stage 2");
            _folder.RestoreBest(model, 1, _log);
        }
        if (_o.Stage2.Steps > 0)
        {
            s2 = FineTuneStage.Run(stages, stage2Started ? resumePoint : null, cancel);
            if (s2.Interrupted) return Finish(s1, s2, conversion, _folder.Checkpoint(2, "last"), new List<EvalResult>(), true);
            if (_o.Stage2.SelectBy == CheckpointSelection.Reach) _folder.RestoreBest(model, 2, _log);
        }
        var final = _o.Stage2.Steps == 0 ? _folder.Checkpoint(1, "best")
            : _o.Stage2.SelectBy == CheckpointSelection.Reach ? _folder.Checkpoint(2, "best") : _folder.Checkpoint(2, "last");
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
        if (passkey.Count > 0) EvalReport.Save(passkey, _folder.PasskeyResults);
        return new DistillResult(_folder.Path, s1, s2, conversion, checkpoint, passkey, interrupted);
    }

    PackedDataset LoadData(ITokenizer tokenizer)
    {
        var files = _o.Data.Files.Length > 0 ? _o.Data.Files : DataFiles.GutenbergBooks().ToArray();
        long perEpoch = Math.Max((long)_o.Stage1.Steps * _o.Stage1.BatchSize * _o.Stage1.GradientAccumulation,
            (long)_o.Stage2.Steps * _o.Stage2.BatchSize * _o.Stage2.GradientAccumulation);
        long maxTokens = _o.Data.MaxTokens > 0 ? _o.Data.MaxTokens : (perEpoch + _o.Data.EvalChunks + 1) * _o.Data.SequenceLength * 2;
        return PackedDataset.Build(TrainingText.Documents(files), tokenizer, _o.Data.SequenceLength, _o.Data.EvalChunks, maxTokens, DataSizeKeys.Distill);
    }

    /// <summary>Passkey training samples at the largest share any stage asks for, or null when none fit the sequence length.</summary>
    PasskeyTrainingSamples? SyntheticSamples(ITokenizer tokenizer)
    {
        var (ratioKey, ratio) = new[] { ("data.passkey_ratio", _o.Data.PasskeyRatio), ("stage1.passkey_ratio", _o.Stage1.PasskeyRatio ?? _o.Data.PasskeyRatio),
            ("stage2.passkey_ratio", _o.Stage2.PasskeyRatio ?? _o.Data.PasskeyRatio) }.MaxBy(r => r.Item2);
        return PasskeyTrainingSamples.IfTheyFit(tokenizer, _o.Data.SequenceLength, _o.Seed, ratio, ratioKey, "data.sequence_length", _log);
    }

    List<EvalResult> EvaluatePasskey(LlamaModel student, string teacherFolder, ITokenizer tokenizer, ScalarType dtype, Device device,
        Action<EvalResult>? onSample, CancellationToken cancel)
    {
        var pe = _o.PasskeyEval!;
        var lengths = pe.LengthMultiples.Select(m => m * _o.Data.SequenceLength).ToArray();
        var plan = new EvalPlan(new PasskeyGenerator(pe.Seed), lengths, new double?[] { null }, pe.Samples, PasskeyGenerator.AnswerTokens);
        var models = new List<EvalModel>();
        if (pe.Teacher) models.Add(EvalModel.Lazy("teacher", () => StudentFolder.Load(teacherFolder, dtype, device)));
        models.Add(EvalModel.Loaded("student", student));
        using (no_grad())
        {
            LawcatConversion.SetMode(student, LawcatMode.Student);
            student.eval();
        }
        _log(pe.Teacher ? "passkey: teacher, then student" : "passkey: student");
        return EvalSuite.Run(models, tokenizer, new[] { plan }, onSample, log: _log, cancel: cancel);
    }
}
