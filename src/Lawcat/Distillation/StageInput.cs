using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>What one training forward of a distillation stage reads.</summary>
/// <param name="Ids">Token ids [B, T].</param>
/// <param name="KeyMask">Real tokens [B, T] for the forward pass, or null when padding is only on the right (it cannot affect earlier positions).</param>
/// <param name="LossMask">Positions [B, T] (1/0) the loss counts.</param>
/// <param name="Start">Where LAWCAT layers start their state (null: zeros).</param>
public sealed record StageInput(Tensor Ids, Tensor? KeyMask, Tensor LossMask, RecurrentStart? Start)
{
    /// <summary>A right-padded batch from zero states: the forward runs unmasked and <paramref name="mask"/> weights the loss.</summary>
    public static StageInput Plain(Tensor ids, Tensor mask) => new(ids, null, mask, null);
}
