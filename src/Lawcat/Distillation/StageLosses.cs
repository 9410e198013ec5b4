using Lawcat.Llama;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>
/// The two stages' objectives, over right-padded batches (mask [B, T], 1 = real token). Right padding cannot affect
/// earlier positions of a causal model, so the forward pass runs unmasked (the fast causal path) and the mask only
/// weights the loss.
/// </summary>
public static class StageLosses
{
    /// <summary>
    /// Stage 1 (docs/lawcat.md §2.1): <paramref name="mseWeight"/> × mean over LAWCAT layers of the MSE between the student's and
    /// the teacher's pre-o_proj outputs, over real tokens. The model must be in attention-transfer mode.
    /// </summary>
    public static BatchLoss AttentionTransfer(LlamaModel model, Tensor ids, Tensor mask, double mseWeight) =>
        AttentionTransfer(model, StageInput.Plain(ids, mask), mseWeight);

    /// <summary>Stage 1 on <paramref name="input"/>: the MSE counts the positions of its loss mask only.</summary>
    public static BatchLoss AttentionTransfer(LlamaModel model, StageInput input, double mseWeight)
    {
        using var capture = new AttentionCapture();
        using var scope = NewDisposeScope();
        model.ForwardHidden(input.Ids, input.KeyMask, capture: capture, start: input.Start);
        if (capture.TransferPairs.Count == 0) throw new InvalidOperationException("no LAWCAT layer is in attention-transfer mode");
        var w = input.LossMask.to(ScalarType.Float32).unsqueeze(-1);                        // [B, T, 1]
        var parts = new Dictionary<string, double>();
        var mses = new List<Tensor>();
        foreach (var (layer, (student, teacher)) in capture.TransferPairs.OrderBy(kv => kv.Key))
        {
            var d = (student.to(ScalarType.Float32) - teacher.to(ScalarType.Float32)).pow(Scalars.Two) * w;
            var mse = d.sum() / w.sum().Times(student.shape[2]);
            mses.Add(mse);
            parts[$"mse.layer{layer}"] = mse.item<float>();
        }
        var loss = stack(mses).mean().Times(mseWeight);
        return new BatchLoss(loss.MoveToOuterDisposeScope(), parts);
    }

    /// <summary>
    /// Stage 2: next-token cross-entropy over real tokens, plus <paramref name="klWeight"/> × KL(teacher ‖ student) when
    /// <paramref name="teacherLogits"/> [B, T, V] are given.
    /// </summary>
    public static BatchLoss NextToken(LlamaModel model, Tensor ids, Tensor mask, Tensor? teacherLogits, double klWeight) =>
        NextToken(model, StageInput.Plain(ids, mask), teacherLogits, klWeight);

    /// <summary>Stage 2 on <paramref name="input"/>: predictions from and of positions of its loss mask only.</summary>
    public static BatchLoss NextToken(LlamaModel model, StageInput input, Tensor? teacherLogits, double klWeight) =>
        NextTokenLoss.Of(model, input.Ids, input.KeyMask, input.LossMask, input.Start, teacherLogits, klWeight);
}
