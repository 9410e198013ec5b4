using static TorchSharp.torch;

namespace Lawcat.Visualization;

/// <summary>
/// How local an attention map is, per head: the mean distance from a query to the keys it weights, and the share of
/// its weight on the last few tokens. These summarize what the causal conv does to the linear path (a short window
/// of neighbours, mixed into each query and key) in numbers that fit a line plot over layers.
/// </summary>
public static class AttentionLocality
{
    /// <summary>Mean over queries of Σ_i w[t, i]·(t − i), per head, for maps [H, T, T] whose rows sum to 1.</summary>
    public static double[] MeanDistance(Tensor weights)
    {
        using var scope = NewDisposeScope();
        var w = weights.to(ScalarType.Float64).cpu();
        long t = w.shape[^1];
        var pos = arange(t, dtype: ScalarType.Float64);
        var distance = (pos.unsqueeze(1) - pos.unsqueeze(0)).clamp_min(0);       // [T, T], query − key
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
        var pos = arange(t, dtype: ScalarType.Float64);
        var distance = pos.unsqueeze(1) - pos.unsqueeze(0);
        var band = (distance >= 0).logical_and(distance < window).to(ScalarType.Float64);
        return (w * band).sum(-1).mean(new long[] { -1 }).data<double>().ToArray();
    }
}
