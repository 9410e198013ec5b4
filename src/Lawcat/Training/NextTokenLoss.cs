using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>
/// The language-modelling objective, shared by pretraining and distillation's stage 2: next-token cross-entropy over
/// the positions a mask counts, optionally plus a KL term towards a teacher's logits.
/// </summary>
public static class NextTokenLoss
{
    /// <summary>
    /// Cross-entropy of predicting ids[t+1] from positions t where both are counted by <paramref name="lossMask"/>
    /// [B, T] (1 = counted), plus <paramref name="klWeight"/> × KL(teacher ‖ model) when <paramref name="teacherLogits"/>
    /// [B, T, V] are given. <paramref name="keyMask"/> and <paramref name="start"/> go to the forward pass as they are.
    /// </summary>
    public static BatchLoss Of(LlamaModel model, Tensor ids, Tensor? keyMask, Tensor lossMask, RecurrentStart? start,
        Tensor? teacherLogits = null, double klWeight = 0)
    {
        using var scope = NewDisposeScope();
        var logits = model.Forward(ids, keyMask, start: start).to(ScalarType.Float32)[.., ..^1];   // [B, T-1, V]
        var targets = ids[.., 1..];
        var w = (lossMask[.., 1..] * lossMask[.., ..^1]).to(ScalarType.Float32);              // both positions counted
        var v = logits.shape[2];
        var ce = nn.functional.cross_entropy(logits.reshape(-1, v), targets.reshape(-1), reduction: nn.Reduction.None);
        var ceMean = (ce * w.reshape(-1)).sum() / w.sum().clamp_min(Scalars.One);
        var parts = new Dictionary<string, double> { ["ce"] = ceMean.item<float>() };
        var loss = ceMean;
        if (teacherLogits is not null && klWeight > 0)
        {
            var logP = logits.log_softmax(-1);
            var logQ = teacherLogits.to(ScalarType.Float32)[.., ..^1].log_softmax(-1);
            var kl = ((logQ.exp() * (logQ - logP)).sum(-1) * w).sum() / w.sum().clamp_min(Scalars.One);
            parts["kl"] = kl.item<float>();
            loss = loss.Plus(kl.Times(klWeight));
        }
        return new BatchLoss(loss.MoveToOuterDisposeScope(), parts);
    }
}
