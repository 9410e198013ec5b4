using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Diagnostics;

/// <summary>Attention weights of one layer for one prompt, [H, T, T] fp32 per model.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="Teacher">The softmax teacher's weights (rows sum to 1).</param>
/// <param name="Student">LAWCAT's implied weights w[t, i] (rows sum to 1 with denominator normalization); null for softmax layers.</param>
public sealed record LayerAttentionMaps(int Layer, Tensor Teacher, Tensor? Student);

/// <summary>
/// Attention maps for a prompt: the teacher's softmax weights and the LAWCAT student's implied weights (docs/lawcat.md §1.3),
/// per layer and head. Both are computed on the teacher's residual stream (as in attention transfer), so each layer's
/// two maps see the same input.
/// </summary>
public static class AttentionMaps
{
    /// <summary>Maps of every layer of a (possibly converted) model for token ids [1, T].</summary>
    public static IReadOnlyList<LayerAttentionMaps> Compute(LlamaModel model, Tensor inputIds)
    {
        using var _ = no_grad();
        using var mode = LawcatConversion.ModeScope(model, LawcatMode.AttentionTransfer);
        using var capture = new AttentionCapture { RecordWeights = true };
        using (NewDisposeScope()) model.Forward(inputIds[..1], capture: capture);
        return Enumerable.Range(0, model.Config.NumHiddenLayers).Select(i =>
        {
            bool isLawcat = capture.TeacherWeights.ContainsKey(i);
            var teacher = (isLawcat ? capture.TeacherWeights[i] : capture.Weights[i])[0].to(ScalarType.Float32).clone();
            var student = isLawcat ? capture.Weights[i][0].to(ScalarType.Float32).clone() : null;
            return new LayerAttentionMaps(i, teacher.DetachFromDisposeScope(), student?.DetachFromDisposeScope());
        }).ToList();
    }
}
