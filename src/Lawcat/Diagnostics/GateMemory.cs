using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Llama;
using Lawcat.IO;
using static TorchSharp.torch;

namespace Lawcat.Diagnostics;

/// <summary>One key/value head's gate in one layer: per feature dimension, its mean log-decay over an input's tokens.</summary>
/// <param name="Layer">Layer index.</param>
/// <param name="Head">Key/value head index (the gate is shared by the query heads of its group).</param>
/// <param name="LogDecay">Mean over tokens of g = log α per feature dimension (one value for a scalar gate).</param>
public sealed record HeadMemory(int Layer, int Head, double[] LogDecay)
{
    /// <summary>The effective memory 1/(1 − a) per feature dimension, a = exp(mean g) (see <see cref="GateMemory.EffectiveMemory"/>).</summary>
    public double[] Memory => LogDecay.Select(GateMemory.EffectiveMemory).ToArray();
}

/// <summary>
/// The gate's memory spectrum (docs/lawcat.md §1.3): a state dimension that decays by a per token keeps a token's
/// contribution for about 1/(1 − a) tokens (the sum of aⁿ). Measured per layer, key/value head and feature dimension
/// from the gate's decays on a given input (the geometric mean decay over its tokens). Dimensions whose memory far
/// exceeds the distillation length were never asked to forget during training, which is what lets them drift.
/// </summary>
public static class GateMemory
{
    /// <summary>
    /// 1/(1 − a) for a = exp(<paramref name="logDecay"/>), as −1/expm1(g) so decays within 1e-16 of 1 keep their
    /// precision (such dimensions occur: log-decays of −6e-26); infinite for g ≥ 0.
    /// </summary>
    public static double EffectiveMemory(double logDecay)
    {
        if (logDecay >= 0) return double.PositiveInfinity;
        double expm1 = Math.Abs(logDecay) < 1e-5 ? logDecay * (1 + logDecay / 2 * (1 + logDecay / 3)) : Math.Exp(logDecay) - 1;
        return -1 / expm1;
    }

    /// <summary>
    /// The spectrum of every LAWCAT layer with a gate of <paramref name="student"/> on token ids [1, T] (student mode,
    /// the student's own residual stream), by layer and head.
    /// </summary>
    public static List<HeadMemory> Measure(LlamaModel student, Tensor ids)
    {
        using var mode = LawcatConversion.ModeScope(student, LawcatMode.Student);
        using var _ = no_grad();
        using var capture = new AttentionCapture { RecordLogDecays = true };
        using (NewDisposeScope()) student.ForwardHidden(ids[..1], capture: capture);
        var heads = new List<HeadMemory>();
        foreach (var (layer, g) in capture.LogDecays.OrderBy(kv => kv.Key))
        {
            using var scope = NewDisposeScope();
            var mean = g[0].to(ScalarType.Float64).mean(new long[] { 1 }).cpu();             // [Hkv, K]: over tokens
            for (int h = 0; h < mean.shape[0]; h++) heads.Add(new HeadMemory(layer, h, mean[h].data<double>().ToArray()));
        }
        return heads;
    }

    /// <summary>
    /// Per layer and head: the number of dimensions, the smallest, median and largest memory (tokens) and the share of
    /// dimensions whose memory exceeds <paramref name="horizon"/> tokens (e.g. the distillation length).
    /// </summary>
    public static ResultTable Table(IReadOnlyList<HeadMemory> heads, int horizon)
    {
        var sorted = heads.Select(h => h.Memory.Order().ToArray()).ToList();
        return new ResultTable(
            TableColumn.Of("layer", heads.Select(h => h.Layer)),
            TableColumn.Of("kv_head", heads.Select(h => h.Head)),
            TableColumn.Of("dims", sorted.Select(m => m.Length)),
            TableColumn.Of("min_memory", sorted.Select(m => m[0])),
            TableColumn.Of("median_memory", sorted.Select(Median)),
            TableColumn.Of("max_memory", sorted.Select(m => m[^1])),
            TableColumn.Of($"pct_over_{horizon}", sorted.Select(m => 100.0 * m.Count(x => x > horizon) / m.Length)));
    }

    /// <summary>
    /// Per model (e.g. ablation variant) and layer: the gated dimensions, their median memory (tokens) and the share
    /// of them whose memory exceeds <paramref name="horizon"/> tokens.
    /// </summary>
    public static ResultTable ByLayer(IReadOnlyList<(string Name, IReadOnlyList<HeadMemory> Heads)> models, int horizon)
    {
        var rows = models.SelectMany(m => m.Heads.GroupBy(h => h.Layer).OrderBy(g => g.Key)
            .Select(g => (m.Name, Layer: g.Key, Memory: g.SelectMany(h => h.Memory).Order().ToArray()))).ToList();
        return new ResultTable(
            TableColumn.Of("model", rows.Select(r => r.Name)),
            TableColumn.Of("layer", rows.Select(r => r.Layer)),
            TableColumn.Of("dims", rows.Select(r => r.Memory.Length)),
            TableColumn.Of("median_memory", rows.Select(r => Median(r.Memory))),
            TableColumn.Of($"pct_over_{horizon}", rows.Select(r => 100.0 * r.Memory.Count(x => x > horizon) / r.Memory.Length)));
    }

    static double Median(double[] sorted) =>
        sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
}
