using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Kernels;

/// <summary>
/// Fill values handed to native calls such as <c>masked_fill</c>, kept alive for the process: an implicit
/// <c>double → Scalar</c> argument can be finalized by the GC while libtorch still reads it (an intermittent abort in
/// <c>Scalar::toFloat</c> under load).
/// </summary>
static class Scalars
{
    /// <summary>0.</summary>
    public static readonly Scalar Zero = 0.0.ToScalar();

    /// <summary>−∞, the fill of masked scores before exp.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}
