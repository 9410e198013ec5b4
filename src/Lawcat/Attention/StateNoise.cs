using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>
/// A random recurrent state shaped like the states LAWCAT's normalized linear attention reaches, for training from a
/// noise-initialized state (arXiv 2507.02782 trains from Gaussian noise fitted to real states). A real state is a
/// decayed sum of φ(k)ᵀ[v, 1]: its denominator column is positive and each feature row, divided by it, is an average of
/// values. So the noise is, per head and feature f, a denominator D_f = n · mean φ(k)_f · E (E ~ Exp(1), n tokens) and
/// a row D_f · [u_f, 1] with u_f drawn from a normal with the values' mean and standard deviation per head and value
/// dimension, both fitted on the current input's real tokens: the state of n random keys and values with the batch's
/// statistics. Without denominator normalization the ones column is left out.
/// </summary>
public static class StateNoise
{
    /// <summary>The floor of the uniform draw whose −log is Exp(1), so the log stays finite.</summary>
    static readonly Scalar Tiny = 1e-12.ToScalar();

    /// <summary>
    /// A state [B, H, K, V(+1)] fp32 for keys φ(k) [B, H, T, K] and values [B, H, T, V] (padding already zero in φ(k);
    /// <paramref name="valid"/> [B, T] marks real tokens, null = all), zero in rows where <paramref name="rows"/> [B] is false.
    /// <paramref name="generator"/> is a CPU generator: the draws are made on the CPU and moved to the keys' device.
    /// </summary>
    public static Tensor Sample(Tensor phiK, Tensor values, Tensor? valid, Tensor rows, double tokens, bool denominator, Generator generator)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var (b, h, t, k) = (phiK.shape[0], phiK.shape[1], phiK.shape[2], phiK.shape[3]);
        long d = values.shape[3];
        var w = (valid?.to(ScalarType.Float32) ?? ones(b, t, ScalarType.Float32, phiK.device)).view(b, 1, t, 1);   // [B, 1, T, 1]
        var count = w.sum(2, keepdim: true).clamp_min(Scalars.One);                                                        // [B, 1, 1, 1]
        var meanPhi = (phiK.to(ScalarType.Float32) * w).sum(2) / count.squeeze(-1);                               // [B, H, K]
        var v = values.to(ScalarType.Float32);
        var meanV = (v * w).sum(2, keepdim: true) / count;                                                        // [B, H, 1, V]
        var stdV = (((v - meanV).pow(Scalars.Two) * w).sum(2, keepdim: true) / count).sqrt();                              // [B, H, 1, V]
        var exp1 = rand(new[] { b, h, k }, ScalarType.Float32, generator: generator).to(phiK.device).clamp_min(Tiny).log().neg();
        using var n = tokens.ToScalar();
        var den = meanPhi * exp1 * n;                                                                        // [B, H, K]
        var u = meanV.Plus(stdV * randn(new[] { b, h, k, d }, ScalarType.Float32, generator: generator).to(phiK.device)); // [B, H, K, V]
        var state = den.unsqueeze(-1) * u;
        if (denominator) state = cat(new[] { state, den.unsqueeze(-1) }, -1);                                    // [B, H, K, V + 1]
        return (state * rows.to(ScalarType.Float32).view(b, 1, 1, 1)).MoveToOuterDisposeScope();
    }
}
