using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat;

/// <summary>
/// Tensor operations with plain numbers, and tensor addition, with every Scalar alive until libtorch returns
/// (see <see cref="Scalars"/>). Write <c>a.Plus(b)</c> for <c>a + b</c> and <c>a.Times(x)</c> for <c>a * x</c>.
/// </summary>
public static class TensorNumbers
{
    /// <summary>a + b (TorchSharp's <c>+</c> passes an alpha of 1 that it does not keep alive).</summary>
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, Scalars.One);

    /// <summary>a + x.</summary>
    public static Tensor Plus(this Tensor a, double x)
    {
        using var s = x.ToScalar();
        return a.add(s, Scalars.One);
    }

    /// <summary>a + x for an integer x (keeps an integer tensor integer).</summary>
    public static Tensor Plus(this Tensor a, long x)
    {
        using var s = x.ToScalar();
        return a.add(s, Scalars.One);
    }

    /// <summary>a − x.</summary>
    public static Tensor Minus(this Tensor a, double x)
    {
        using var s = x.ToScalar();
        return a.sub(s);
    }

    /// <summary>a − x for an integer x (keeps an integer tensor integer).</summary>
    public static Tensor Minus(this Tensor a, long x)
    {
        using var s = x.ToScalar();
        return a.sub(s);
    }

    /// <summary>x − a.</summary>
    public static Tensor SubtractedFrom(this Tensor a, double x) => a.neg().Plus(x);

    /// <summary>a · x.</summary>
    public static Tensor Times(this Tensor a, double x)
    {
        using var s = x.ToScalar();
        return a.mul(s);
    }

    /// <summary>a · x for an integer x (keeps an integer tensor integer).</summary>
    public static Tensor Times(this Tensor a, long x)
    {
        using var s = x.ToScalar();
        return a.mul(s);
    }

    /// <summary>a / x.</summary>
    public static Tensor Over(this Tensor a, double x)
    {
        using var s = x.ToScalar();
        return a.div(s);
    }

    /// <summary>x / a.</summary>
    public static Tensor Dividing(this Tensor a, double x) => a.reciprocal().Times(x);

    /// <summary>The integers start, start + 1, …, stop − 1 as an int64 tensor.</summary>
    public static Tensor Arange(long start, long stop, Device? device = null)
    {
        using var first = start.ToScalar();
        using var end = stop.ToScalar();
        return arange(first, end, Scalars.One, ScalarType.Int64, device);
    }
}
