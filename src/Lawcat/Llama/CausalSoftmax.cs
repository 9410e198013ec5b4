using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>
/// Causal softmax attention over already-projected heads, in two forms: the fast one (libtorch SDPA, the
/// FlashAttention path on CUDA) and the inspectable eager one that also returns the attention weights.
/// </summary>
public static class CausalSoftmax
{
    /// <summary>
    /// Additive mask [B or 1, 1, Tq, Tk] (0 where attending is allowed, the dtype's minimum elsewhere), or null when
    /// plain causal masking suffices (unless <paramref name="always"/>). Query i sits at absolute position past + i.
    /// </summary>
    public static Tensor? BuildMask(Tensor? keyMask, long tq, long tk, long past, ScalarType dtype, Device device, bool always = false)
    {
        if (!always && keyMask is null && (tq == 1 || (past == 0 && tq == tk))) return null;
        using var scope = NewDisposeScope();
        var qpos = TensorNumbers.Arange(past, past + tq, device).unsqueeze(1); // [Tq, 1]
        var kpos = TensorNumbers.Arange(0, tk, device).unsqueeze(0);         // [1, Tk]
        var allowed = (kpos <= qpos).unsqueeze(0);                          // [1, Tq, Tk]
        if (keyMask is not null) allowed = allowed & keyMask.to(ScalarType.Bool).unsqueeze(1); // [B, Tq, Tk]
        var min = dtype == ScalarType.BFloat16 ? -3.3895313892515355e38 : dtype == ScalarType.Float16 ? -65504.0 : float.MinValue;
        using var fill = min.ToScalar();
        var mask = zeros(allowed.shape, dtype, device).masked_fill(allowed.logical_not(), fill);
        return mask.unsqueeze(1).MoveToOuterDisposeScope();                 // [B, 1, Tq, Tk]
    }

    /// <summary>Fast path: y [B, H, Tq, D] from q [B, H, Tq, D] and repeated k, v [B, H, Tk, D].</summary>
    public static Tensor Fast(Tensor q, Tensor k, Tensor v, Tensor? mask) =>
        mask is null && q.shape[2] == k.shape[2]
            ? nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true)
            : nn.functional.scaled_dot_product_attention(q, k, v, mask);

    /// <summary>
    /// One query per head against the cache, grouped: q [B, H, 1, D] with the unrepeated k, v [B, Hkv, Tk, D], so the
    /// cache is never copied per step, and plain matmuls instead of SDPA, whose backends may plan anew for every new
    /// key length. Softmax in fp32 as in HF's eager path; <paramref name="mask"/> is additive [B, 1, 1, Tk] or null.
    /// </summary>
    public static Tensor DecodeStep(Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        var (b, h, d) = (q.shape[0], q.shape[1], q.shape[3]);
        long kvHeads = k.shape[1], groups = h / kvHeads;
        var qg = q.view(b, kvHeads, groups, d);                                              // [B, Hkv, g, D]
        var scores = matmul(qg, k.transpose(2, 3)).Times(1.0 / Math.Sqrt(d));               // [B, Hkv, g, Tk]
        if (mask is not null) scores = scores.Plus(mask.view(b, 1, 1, mask.shape[^1]));
        var weights = scores.softmax(-1, ScalarType.Float32).to(q.dtype);
        return matmul(weights, v).view(b, h, 1, d).MoveToOuterDisposeScope();               // [B, H, 1, D]
    }

    /// <summary>Eager path as in HF: returns y [B, H, Tq, D] and the weights [B, H, Tq, Tk] (softmax in fp32).</summary>
    public static (Tensor Output, Tensor Weights) Eager(Tensor q, Tensor k, Tensor v, Tensor? mask)
    {
        using var scope = NewDisposeScope();
        double scaling = 1.0 / Math.Sqrt(q.shape[^1]);
        var scores = matmul(q, k.transpose(2, 3)).Times(scaling);
        mask ??= BuildMask(null, q.shape[2], k.shape[2], k.shape[2] - q.shape[2], q.dtype, q.device, always: true);
        if (mask is not null) scores = scores.Plus(mask);
        var weights = scores.softmax(-1, ScalarType.Float32).to(q.dtype);
        var y = matmul(weights, v);
        return (y.MoveToOuterDisposeScope(), weights.MoveToOuterDisposeScope());
    }
}
