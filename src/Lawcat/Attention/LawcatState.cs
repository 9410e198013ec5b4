using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>
/// Decoding state of one LAWCAT layer; its size does not depend on the sequence length: the gated recurrent state
/// S [B, H, K, V(+1)] (the last column carries the denominator), the last r conv inputs of q, k (and v), and,
/// with a sliding window, the last w rotated keys and values.
/// </summary>
public sealed class LawcatState : ILayerState
{
    /// <summary>Recurrent state [B, H, K, V(+1)], fp32.</summary>
    public Tensor? S { get; private set; }
    /// <summary>Conv tails [B, C, r] for q, k, v.</summary>
    public Tensor? QTail { get; private set; }
    /// <inheritdoc cref="QTail"/>
    public Tensor? KTail { get; private set; }
    /// <inheritdoc cref="QTail"/>
    public Tensor? VTail { get; private set; }
    /// <summary>Window keys and values [B, H, w, D] and their validity [B, w] (sliding window only).</summary>
    public Tensor? WindowK { get; private set; }
    /// <inheritdoc cref="WindowK"/>
    public Tensor? WindowV { get; private set; }
    /// <inheritdoc cref="WindowK"/>
    public Tensor? WindowValid { get; private set; }

    static Tensor? Swap(Tensor? old, Tensor? fresh)
    {
        if (ReferenceEquals(old, fresh)) return old;
        old?.Dispose();
        return fresh?.detach().DetachFromDisposeScope();
    }

    /// <summary>Replaces the recurrent state.</summary>
    public void SetS(Tensor s) => S = Swap(S, s);
    /// <summary>Replaces the conv tails (null ones are left as they are).</summary>
    public void SetTails(Tensor? q, Tensor? k, Tensor? v)
    {
        if (q is not null) QTail = Swap(QTail, q);
        if (k is not null) KTail = Swap(KTail, k);
        if (v is not null) VTail = Swap(VTail, v);
    }
    /// <summary>Replaces the window cache.</summary>
    public void SetWindow(Tensor k, Tensor v, Tensor valid)
    {
        WindowK = Swap(WindowK, k);
        WindowV = Swap(WindowV, v);
        WindowValid = Swap(WindowValid, valid);
    }

    /// <inheritdoc/>
    public long Bytes => new[] { S, QTail, KTail, VTail, WindowK, WindowV, WindowValid }.Sum(t => t is null ? 0 : t.NumberOfElements * t.ElementSize);

    /// <inheritdoc/>
    public void Dispose()
    {
        foreach (var t in new[] { S, QTail, KTail, VTail, WindowK, WindowV, WindowValid }) t?.Dispose();
    }
}
