using TorchSharp;
using Lawcat.IO;
using static TorchSharp.torch;

namespace Lawcat.Diagnostics;

/// <summary>
/// How local an attention map is, per head: the mean distance from a query to the keys it weights, and the share of
/// its weight on the last few tokens. These summarize what the causal conv does to the linear path (a short window
/// of neighbours, mixed into each query and key) in numbers that fit a line plot over layers (drawn by
/// <c>Lawcat.Visualization.DiagnosticFigures</c> in the presentation assembly).
/// </summary>
public static class AttentionLocality
{
    /// <summary>Mean over queries of Σ_i w[t, i]·(t − i), per head, for maps [H, T, T] whose rows sum to 1.</summary>
    public static double[] MeanDistance(Tensor weights)
    {
        using var scope = NewDisposeScope();
        var w = weights.to(ScalarType.Float64).cpu();
        long t = w.shape[^1];
        var pos = TensorNumbers.Arange(0, t).to(ScalarType.Float64);
        var distance = (pos.unsqueeze(1) - pos.unsqueeze(0)).clamp_min(Scalars.Zero);       // [T, T], query − key
        return (w * distance).sum(-1).mean(new long[] { -1 }).data<double>().ToArray();
    }

    /// <summary>
    /// Mean over queries of the weight on the current token and the <paramref name="window"/> − 1 before it, per head,
    /// for maps [H, T, T].
    /// </summary>
    public static double[] LocalMass(Tensor weights, int window)
    {
        using var scope = NewDisposeScope();
        var w = weights.to(ScalarType.Float64).cpu();
        long t = w.shape[^1];
        var pos = TensorNumbers.Arange(0, t).to(ScalarType.Float64);
        var distance = pos.unsqueeze(1) - pos.unsqueeze(0);
        using var width = window.ToScalar();
        var band = (distance >= Scalars.Zero).logical_and(distance < width).to(ScalarType.Float64);
        return (w * band).sum(-1).mean(new long[] { -1 }).data<double>().ToArray();
    }

    /// <summary>
    /// Per layer and model: mean attention distance and local mass (% of the weight on the last
    /// <paramref name="window"/> tokens), averaged over heads.
    /// </summary>
    public static ResultTable Table(IReadOnlyList<(string Name, IReadOnlyList<Tensor> Layers)> models, int window)
    {
        var columns = new List<TableColumn> { TableColumn.Of("layer", Enumerable.Range(0, models.Max(m => m.Layers.Count))) };
        foreach (var (name, layers) in models)
            columns.Add(TableColumn.Of($"{name}: distance", layers.Select(w => MeanDistance(w).Average())));
        foreach (var (name, layers) in models)
            columns.Add(TableColumn.Of($"{name}: last {window} %", layers.Select(w => LocalMass(w, window).Average() * 100)));
        return new ResultTable(columns);
    }
}
