using TorchSharp;

namespace Lawcat;

/// <summary>
/// Constant Scalars that live for the whole process. TorchSharp 0.107 turns a number into a Scalar that nothing
/// references once its handle is read (implicit conversions, its operators on a tensor and a number, and the alpha of
/// 1 behind Tensor + Tensor), so a garbage collection during the call may free it while libtorch still reads it: an
/// intermittent "Expected false to be true ... toFloat" abort under load. The library hands libtorch these constants,
/// <c>using</c> locals, or goes through <see cref="TensorNumbers"/>; a test reads the compiled IL to keep it so.
/// </summary>
public static class Scalars
{
    /// <summary>Integer 0 (an integer Scalar leaves a floating tensor's dtype as it is).</summary>
    public static readonly Scalar Zero = 0L.ToScalar();

    /// <summary>Integer 1.</summary>
    public static readonly Scalar One = 1L.ToScalar();

    /// <summary>Integer 2, the exponent of a square.</summary>
    public static readonly Scalar Two = 2L.ToScalar();

    /// <summary>−∞, the score of a masked position.</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}
