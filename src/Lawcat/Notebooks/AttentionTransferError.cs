using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Data;
using Lawcat.Distillation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Notebooks;

/// <summary>
/// How far each LAWCAT layer's output is from its teacher's: the stage-1 quantity (MSE of the pre-o_proj head
/// outputs, the teacher's residual stream flowing on) measured per layer on held-out text, without the ×1000 weight.
/// </summary>
public static class AttentionTransferError
{
    /// <summary>
    /// Per-layer MSE over the first <paramref name="chunks"/> chunks of <paramref name="sequenceLength"/> tokens of the
    /// last bundled book (training reads the books from the first, so short runs never see it).
    /// </summary>
    public static SortedDictionary<int, double> PerLayer(LlamaModel student, ITokenizer tokenizer, int sequenceLength, int chunks = 4)
    {
        var book = DataFiles.GutenbergBooks()[^1];
        var data = PackedDataset.Build(TrainingText.Documents(new[] { book }), tokenizer, sequenceLength, evalChunks: 1, maxTokens: (long)(chunks + 1) * sequenceLength);
        var layers = LawcatConversion.LawcatLayers(student).ToList();
        var modes = layers.Select(l => l.Mode).ToList();
        var sums = new SortedDictionary<int, double>();
        try
        {
            LawcatConversion.SetMode(student, LawcatMode.AttentionTransfer);
            using var _ = no_grad();
            for (int c = 0; c < chunks; c++)
            {
                using var scope = NewDisposeScope();
                var (ids, mask) = PackedDataset.ToBatch(new[] { data.Chunk(c) }, sequenceLength, data.PadId, student.Device);
                foreach (var (key, value) in StageLosses.AttentionTransfer(student, ids, mask, 1).Parts)
                {
                    int layer = int.Parse(key["mse.layer".Length..]);
                    sums[layer] = sums.GetValueOrDefault(layer) + value / chunks;
                }
            }
        }
        finally
        {
            for (int i = 0; i < layers.Count; i++) layers[i].Mode = modes[i];
        }
        return sums;
    }
}
