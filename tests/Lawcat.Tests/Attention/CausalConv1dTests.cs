using Lawcat.Attention;
using static TorchSharp.torch;

namespace Lawcat.Tests.Attention;

[Trait("Category", "Kernels")]
public class CausalConv1dTests
{
    [Fact]
    public void StepByStepWithTheTailEqualsTheFullConvolution()
    {
        using var _ = no_grad();
        manual_seed(3);
        var conv = new CausalConv1d(6, 4, 1e-3);
        foreach (var (_, p) in conv.named_parameters()) p.copy_(randn_like(p));
        var x = randn(2, 11, 6);
        var (full, fullTail) = conv.forward(x, null);
        Tensor? tail = null;
        var steps = new List<Tensor>();
        for (int t = 0; t < 11; t++)
        {
            var (y, next) = conv.forward(x[.., t..(t + 1)], tail);
            steps.Add(y);
            tail = next;
        }
        Assert.Equal(0.0, TensorAssert.MaxAbsDiff(full, cat(steps, 1)), 6);
        Assert.Equal(0.0, TensorAssert.MaxAbsDiff(fullTail, tail!), 6);
    }

    [Fact]
    public void IsCausalAndStartsNearIdentity()
    {
        using var _ = no_grad();
        var conv = new CausalConv1d(3, 4, 1e-3);
        var x = randn(1, 9, 3);
        var (y, _) = conv.forward(x, null);
        // Output at t depends on x[t-3..t] only: changing x at t=6 leaves y[..6] unchanged.
        var x2 = x.clone();
        x2[0, 6] = x2[0, 6] + 5;
        var (y2, _) = conv.forward(x2, null);
        Assert.Equal(0.0, TensorAssert.MaxAbsDiff(y[.., ..6], y2[.., ..6]));
        Assert.True(TensorAssert.MaxAbsDiff(y, x) < 0.01, "near-identity init");
    }

    [Fact]
    public void GradientsMatchFiniteDifferences()
    {
        manual_seed(5);
        var conv = new CausalConv1d(2, 3, 0.1, dtype: ScalarType.Float64);
        var x = randn(new long[] { 1, 5, 2 }, ScalarType.Float64).requires_grad_(true);
        var w = conv.parameters().Single();
        var dy = randn(new long[] { 1, 5, 2 }, ScalarType.Float64);
        (conv.forward(x, null).Output * dy).sum().backward();
        double Loss()
        {
            using var _ = no_grad();
            return (conv.forward(x, null).Output * dy).sum().item<double>();
        }
        foreach (var (p, name) in new[] { (x, "x"), ((Tensor)w, "weight") })
        {
            var grad = p.grad!.clone();
            var flat = p.detach().view(-1);
            for (int i = 0; i < flat.shape[0]; i++)
            {
                double orig = flat[i].item<double>(), eps = 1e-6;
                using (no_grad()) flat[i] = orig + eps;
                double up = Loss();
                using (no_grad()) flat[i] = orig - eps;
                double down = Loss();
                using (no_grad()) flat[i] = orig;
                Assert.True(Math.Abs((up - down) / (2 * eps) - grad.view(-1)[i].item<double>()) < 1e-6, $"d{name}[{i}]");
            }
        }
    }
}
