using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Evaluation;
using Lawcat.IO;
using Lawcat.Llama;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Diagnostics;

/// <summary>How much one head's last query attends to a sample's needle.</summary>
/// <param name="Model">Which model ("teacher", "student", ...).</param>
/// <param name="Layer">Layer index.</param>
/// <param name="Head">Query head index.</param>
/// <param name="Index">The sample's index.</param>
/// <param name="TargetLength">The sample's target length.</param>
/// <param name="Distance">The needle's distance to the question (<see cref="NeedlePosition.Distance"/>).</param>
/// <param name="Mass">Share of the answering token's attention weight on the answer's tokens inside the needle (0..1).</param>
public sealed record NeedleMass(string Model, int Layer, int Head, int Index, int TargetLength, int Distance, double Mass);

/// <summary>
/// Retrieval heads: where the token that must produce the answer puts its attention. That token is the space the
/// model writes after the prompt (passkey and S-NIAH answers follow one; byte-level and Llama-3 tokenizers keep it a
/// token of its own), so the prompt is measured with <see cref="AnswerLead"/> appended. For each
/// sample with a needle (passkey, S-NIAH), each layer and each head, the share of its weight on the answer's tokens
/// inside the needle (the pass key's digits). Softmax layers give their weights; LAWCAT layers their implied weights
/// (docs/lawcat.md §1.3), each model on its own residual stream. The heads that retrieve in the teacher are those
/// with the most mass at distances it handles; whether the student's same heads keep that mass as the distance grows
/// is the mechanism behind length generalization.
/// </summary>
public static class NeedleAttention
{
    /// <summary>What the model writes between the prompt and the answer's first character.</summary>
    public const string AnswerLead = " ";

    /// <summary>Every layer's and head's mass for each sample (one forward pass per sample, no T × T matrices).</summary>
    public static List<NeedleMass> Measure(LlamaModel model, string modelName, ITokenizer tokenizer, IEnumerable<EvalSample> samples)
    {
        var masses = new List<NeedleMass>();
        using (LawcatConversion.ModeScope(model, LawcatMode.Student))
        {
            using var _ = no_grad();
            foreach (var sample in samples)
            {
                if (NeedlePosition.Locate(tokenizer, sample) is not { AnswerTokens.Count: > 0 } needle) continue;
                using var scope = NewDisposeScope();
                var ids = tensor(tokenizer.Encode(sample.Prompt + AnswerLead, addSpecialTokens: true).Select(x => (long)x).ToArray(), device: model.Device).unsqueeze(0);   // [1, T]
                var answer = tensor(needle.AnswerTokens.Select(x => (long)x).ToArray(), device: model.Device);
                using var capture = new AttentionCapture { RecordLastQueryWeights = true };
                model.ForwardHidden(ids, capture: capture);
                foreach (var (layer, w) in capture.LastQueryWeights.OrderBy(kv => kv.Key))
                {
                    var row = w[0].to(ScalarType.Float64);                                           // [H, T]
                    var share = (row.index_select(1, answer).sum(-1) / row.sum(-1)).cpu().data<double>().ToArray();
                    for (int h = 0; h < share.Length; h++)
                        masses.Add(new NeedleMass(modelName, layer, h, sample.Index, sample.TargetLength, needle.Distance, share[h]));
                }
            }
        }
        return masses;
    }

    /// <summary>The <paramref name="count"/> (layer, head) pairs with the highest mean mass in <paramref name="masses"/> (e.g. the teacher's at distances it handles).</summary>
    public static List<(int Layer, int Head)> RetrievalHeads(IEnumerable<NeedleMass> masses, int count) =>
        masses.GroupBy(m => (m.Layer, m.Head)).OrderByDescending(g => g.Average(m => m.Mass)).Take(count).Select(g => g.Key).ToList();

    /// <summary>Mean mass per model, head (of <paramref name="heads"/>) and needle-distance bin, with the number of samples.</summary>
    public static ResultTable Table(IReadOnlyList<NeedleMass> masses, IReadOnlyList<(int Layer, int Head)> heads)
    {
        var cells = MeanByDistance(masses, heads).ToList();
        return new ResultTable(
            TableColumn.Of("model", cells.Select(c => c.Model)),
            TableColumn.Of("layer", cells.Select(c => c.Head.Layer)),
            TableColumn.Of("head", cells.Select(c => c.Head.Head)),
            TableColumn.Of("distance", cells.Select(c => c.Bin.Label)),
            TableColumn.Of("samples", cells.Select(c => c.Samples)),
            TableColumn.Of("needle_mass", cells.Select(c => c.Mean)));
    }

    /// <summary>
    /// Mean mass per model, head (of <paramref name="heads"/>) and needle-distance bin (bins for the samples' lengths,
    /// <see cref="DistanceBins"/>), nearest bin first, with the number of samples in each.
    /// </summary>
    public static IEnumerable<(string Model, (int Layer, int Head) Head, DistanceBin Bin, int Samples, double Mean)> MeanByDistance(IReadOnlyList<NeedleMass> masses, IReadOnlyList<(int Layer, int Head)> heads)
    {
        if (masses.Count == 0) yield break;
        var bins = DistanceBins.For(masses.Select(m => m.TargetLength), masses.Max(m => m.Distance));
        foreach (var model in masses.Select(m => m.Model).Distinct())
            foreach (var head in heads)
                foreach (var g in masses.Where(m => m.Model == model && (m.Layer, m.Head) == head).GroupBy(m => DistanceBins.Of(bins, m.Distance)).OrderBy(g => g.Key.Low))
                    yield return (model, head, g.Key, g.Count(), g.Average(m => m.Mass));
    }
}
