using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Data;
using Lawcat.IO;
using Lawcat.Llama;
using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Diagnostics;

/// <summary>One LAWCAT layer's distance from its teacher on held-out text.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="Mse">Mean squared error of the pre-o_proj head outputs (the stage-1 quantity without its ×1000 weight).</param>
/// <param name="RelativeError">Σ(student − teacher)² / Σ teacher²: the error as a share of the teacher output's energy, comparable across layers.</param>
public sealed record LayerTransferError(int Layer, double Mse, double RelativeError);

/// <summary>
/// How far each LAWCAT layer's output is from its teacher's: the stage-1 quantity (the pre-o_proj head outputs, the
/// teacher's residual stream flowing on) measured per layer on held-out text, as MSE and as relative error.
/// </summary>
public static class AttentionTransferError
{
    /// <summary>
    /// Per-layer MSE over the first <paramref name="chunks"/> chunks of <paramref name="sequenceLength"/> tokens of the
    /// last bundled book (training reads the books from the first, so short runs never see it).
    /// </summary>
    public static SortedDictionary<int, double> PerLayer(LlamaModel student, ITokenizer tokenizer, int sequenceLength, int chunks = 4) =>
        new(Errors(student, tokenizer, sequenceLength, chunks).ToDictionary(e => e.Layer, e => e.Mse));

    /// <summary>Per-layer MSE and relative error on the same held-out chunks as <see cref="PerLayer"/>, by layer.</summary>
    public static List<LayerTransferError> Errors(LlamaModel student, ITokenizer tokenizer, int sequenceLength, int chunks = 4)
    {
        var book = DataFiles.GutenbergBooks()[^1];
        var data = PackedDataset.Build(TrainingText.Documents(new[] { book }), tokenizer, sequenceLength, evalChunks: 1, maxTokens: (long)(chunks + 1) * sequenceLength);
        var sums = new SortedDictionary<int, (double SquaredError, double TeacherEnergy, long Values)>();
        using (LawcatConversion.ModeScope(student, LawcatMode.AttentionTransfer))
        {
            using var _ = no_grad();
            for (int c = 0; c < chunks; c++)
            {
                using var scope = NewDisposeScope();
                var (ids, _) = PackedDataset.ToBatch(new[] { data.Chunk(c) }, sequenceLength, data.PadId, student.Device);
                using var capture = new AttentionCapture();
                student.ForwardHidden(ids, capture: capture);
                foreach (var (layer, (s, t)) in capture.TransferPairs)
                {
                    var teacher = t.to(ScalarType.Float64);
                    double error = (s.to(ScalarType.Float64) - teacher).pow(Scalars.Two).sum().item<double>(), energy = teacher.pow(Scalars.Two).sum().item<double>();
                    var (e0, t0, n0) = sums.GetValueOrDefault(layer);
                    sums[layer] = (e0 + error, t0 + energy, n0 + teacher.numel());
                }
            }
        }
        return sums.Select(kv => new LayerTransferError(kv.Key, kv.Value.SquaredError / kv.Value.Values, kv.Value.SquaredError / kv.Value.TeacherEnergy)).ToList();
    }

    /// <summary>One row per layer: each model's MSE and relative error (%).</summary>
    public static ResultTable Table(IReadOnlyList<(string Name, IReadOnlyList<LayerTransferError> Errors)> models)
    {
        var layers = models.SelectMany(m => m.Errors.Select(e => e.Layer)).Distinct().Order().ToList();
        var columns = new List<TableColumn> { TableColumn.Of("layer", layers) };
        foreach (var (name, errors) in models)
        {
            columns.Add(TableColumn.Of($"{name}: mse", layers.Select(l => errors.FirstOrDefault(e => e.Layer == l)?.Mse)));
            columns.Add(TableColumn.Of($"{name}: relative %", layers.Select(l => errors.FirstOrDefault(e => e.Layer == l)?.RelativeError * 100)));
        }
        return new ResultTable(columns);
    }
}
