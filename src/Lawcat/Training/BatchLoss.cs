using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>A batch loss with its parts, for logging and divergence checks.</summary>
/// <param name="Loss">The scalar to minimize.</param>
/// <param name="Parts">Named parts (per-layer MSE in stage 1; cross-entropy and KL in stage 2).</param>
public sealed record BatchLoss(Tensor Loss, IReadOnlyDictionary<string, double> Parts);
