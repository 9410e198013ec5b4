using System.Text.RegularExpressions;
using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Llama;
using Lawcat.Training;
using Parameter = TorchSharp.Modules.Parameter;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>
/// Stage 2, fine-tuning (docs/lawcat.md §2.2): the student's own outputs flow; next-token cross-entropy, optionally
/// plus KL towards the teacher; LoRA, LAWCAT's parameters and chosen teacher parameters train as the options say.
/// </summary>
static class FineTuneStage
{
    /// <summary>Runs stage 2 on the context's model, from its start or from <paramref name="resume"/>.</summary>
    public static StageResult Run(StageContext c, ResumePoint? resume, CancellationToken cancel)
    {
        var (model, s) = (c.Model, c.Options.Stage2);
        LawcatConversion.SetMode(model, LawcatMode.Student);
        foreach (var (_, p) in LawcatConversion.NewParameters(model)) p.requires_grad = s.TrainLawcat;
        var trainable = new List<(string Name, Parameter Param)>();
        manual_seed(Seeds.Combine(c.Options.Seed, 2));   // LoRA's initialization
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
        var coverage = new StateCoverage(s.StateCoverage, c.Data, c.StreamSeed(2));
        var adapters = Lora.Adapters(model).Select(a => a.Module).ToList();
        Action<long, int> seedDropout = (step, micro) =>
        {
            for (int i = 0; i < adapters.Count; i++) adapters[i].DropoutGenerator = new Generator((ulong)Seeds.Combine(c.Options.Seed, step, micro, i), c.Device);
        };
        var plan = new StagePlan(2, "stage 2: fine-tuning", s, trainable, frozen, batch => Loss(coverage.Prepare(batch)),
            () => DistillationStage.Evaluate(c, (ids, mask) => Loss(StageInput.Plain(ids, mask))), seedDropout, c.Template with { HasLora = s.UseLora });
        return DistillationStage.Run(c, plan, resume, cancel);
    }

    /// <summary>The teacher's logits on the stage input (the teacher has no recurrent state: it reads a carried-over prefix as context).</summary>
    static Tensor TeacherLogits(LlamaModel model, StageInput input)
    {
        using var _ = no_grad();
        using var mode = LawcatConversion.ModeScope(model, LawcatMode.Teacher);
        Lora.SetEnabled(model, false);
        try { return model.Forward(input.Ids, input.KeyMask); }
        finally { Lora.SetEnabled(model, true); }
    }

    /// <summary>The parameters <c>stage2.full_finetune</c>'s patterns name (<c>*</c> matches within one name part).</summary>
    static IEnumerable<(string, Parameter)> FullFinetune(LlamaModel model, string[] patterns)
    {
        if (patterns.Length == 0) yield break;
        var regexes = patterns.Select(p => new Regex("^" + Regex.Escape(p).Replace("\\*", "[^.]*") + "$")).ToList();
        var found = model.named_parameters().Where(p => regexes.Any(r => r.IsMatch(p.name))).Select(p => (p.name, p.parameter)).ToList();
        if (found.Count == 0) throw new LawcatException($"stage2.full_finetune: no parameter matches {string.Join(", ", patterns)} (names look like model.layers.0.mlp.down_proj.weight).");
        foreach (var f in found) yield return f;
    }
}
