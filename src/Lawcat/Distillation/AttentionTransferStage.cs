using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Training;

namespace Lawcat.Distillation;

/// <summary>
/// Stage 1, attention transfer (docs/lawcat.md §2.1): only LAWCAT's new parameters train; each layer learns to
/// reproduce the teacher's pre-o_proj output while the teacher's output flows on to the next layer.
/// </summary>
static class AttentionTransferStage
{
    /// <summary>Runs stage 1 on the context's model, from its start or from <paramref name="resume"/>.</summary>
    public static StageResult Run(StageContext c, ResumePoint? resume, CancellationToken cancel)
    {
        var (model, o) = (c.Model, c.Options.Stage1);
        LawcatConversion.SetMode(model, LawcatMode.AttentionTransfer);
        model.train();
        var trainable = LawcatConversion.NewParameters(model).ToList();
        var coverage = new StateCoverage(o.StateCoverage, c.Data, c.StreamSeed(1));
        var plan = new StagePlan(1, "stage 1: attention transfer", o, trainable, new(),
            batch => StageLosses.AttentionTransfer(model, coverage.Prepare(batch), o.MseWeight),
            () => DistillationStage.Evaluate(c, (ids, mask) => StageLosses.AttentionTransfer(model, ids, mask, o.MseWeight)),
            null, c.Template);
        return DistillationStage.Run(c, plan, resume, cancel);
    }
}
