using static TorchSharp.torch;

namespace Lawcat.Tests;

/// <summary>Tensor comparisons with the tolerance stated at each call.</summary>
public static class TensorAssert
{
    /// <summary>max |a - b|, in fp64.</summary>
    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return (a.to(ScalarType.Float64) - b.to(ScalarType.Float64)).abs().max().item<double>();
    }

    /// <summary>rms(a - ref) / rms(ref), fla's relative error measure.</summary>
    public static double RelativeRmse(Tensor reference, Tensor x)
    {
        using var scope = NewDisposeScope();
        var r = reference.to(ScalarType.Float64);
        var d = x.to(ScalarType.Float64) - r;
        var denom = r.pow(2).mean().sqrt().item<double>();
        var num = d.pow(2).mean().sqrt().item<double>();
        return denom == 0 ? num : num / denom;
    }

    /// <summary>Asserts max |actual - expected| ≤ <paramref name="relTol"/> × max |expected| (the reference's scale).</summary>
    public static void CloseToScale(Tensor expected, Tensor actual, double relTol, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        using var scope = NewDisposeScope();
        double scale = Math.Max(expected.to(ScalarType.Float64).abs().max().item<double>(), 1e-12);
        double diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= relTol * scale, $"{what}: max abs diff {diff:E3} > {relTol:E1} x scale {scale:E3}");
    }

    /// <summary>Asserts relative RMSE ≤ <paramref name="tol"/> and no NaN/inf in <paramref name="actual"/>.</summary>
    public static void RmseBelow(Tensor reference, Tensor actual, double tol, string what)
    {
        Assert.Equal(reference.shape, actual.shape);
        Assert.False(actual.isnan().any().item<bool>() || actual.isinf().any().item<bool>(), $"{what}: NaN or inf");
        double e = RelativeRmse(reference, actual);
        Assert.True(e <= tol, $"{what}: relative RMSE {e:E3} > {tol:E1}");
    }
}
