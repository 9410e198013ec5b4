using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>
/// The optional sliding-window softmax term of a LAWCAT layer (docs/lawcat.md §1.7): for each query, scores q·k/√D over the
/// last w keys including its own, exponentiated after subtracting the row maximum, returned as an unnormalized
/// numerator [B, H, T, D] and denominator [B, H, T, 1] to be mixed with the linear path's. Computed in blocks of w
/// queries against 2w keys, so memory is O(T·w).
/// </summary>
public static class SlidingWindowSoftmax
{
    /// <summary>
    /// q, k, v [B, H, T, D] (rotated, fp32); <paramref name="valid"/> [B, T] marks real keys (null = all).
    /// <paramref name="pastK"/>/<paramref name="pastV"/> [B, H, w, D] and <paramref name="pastValid"/> [B, w] are the
    /// previous w keys (null at the start). Returns the terms and the window cache to carry on.
    /// </summary>
    public static (Tensor Numerator, Tensor Denominator, Tensor NextK, Tensor NextV, Tensor NextValid) Forward(
        Tensor q, Tensor k, Tensor v, Tensor? valid, int w, Tensor? pastK, Tensor? pastV, Tensor? pastValid)
    {
        using var scope = NewDisposeScope();
        var (b, h, t, d) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3]);
        var dev = q.device;
        valid ??= ones(b, t, ScalarType.Bool, dev);
        pastK ??= zeros(new[] { b, h, (long)w, d }, q.dtype, dev);
        pastV ??= zeros(new[] { b, h, (long)w, d }, q.dtype, dev);
        pastValid ??= zeros(b, w, ScalarType.Bool, dev);
        long nb = (t + w - 1) / w, pad = nb * w - t;
        var kExt = nn.functional.pad(cat(new[] { pastK, k }, 2), new long[] { 0, 0, 0, pad });           // [B, H, w + Tp, D]
        var vExt = nn.functional.pad(cat(new[] { pastV, v }, 2), new long[] { 0, 0, 0, pad });
        var validExt = nn.functional.pad(cat(new[] { pastValid, valid }, 1).to(ScalarType.Float32), new long[] { 0, pad }).to(ScalarType.Bool);
        var qb = nn.functional.pad(q, new long[] { 0, 0, 0, pad }).view(b, h, nb, w, d);                   // [B, H, nb, w, D]
        var kb = kExt.unfold(2, 2 * w, w);                                                                 // [B, H, nb, D, 2w]
        var vb = vExt.unfold(2, 2 * w, w).transpose(3, 4);                                                 // [B, H, nb, 2w, D]
        var okb = validExt.unfold(1, 2 * w, w).view(b, 1, nb, 1, 2 * w);                                  // [B, 1, nb, 1, 2w]
        var a = TensorNumbers.Arange(0, w, dev).view(w, 1);
        var c = TensorNumbers.Arange(0, 2 * w, dev).view(1, 2 * w);
        var band = ((c > a) & (c <= a.Plus(w))).view(1, 1, 1, w, 2 * w);                                      // query a sees keys a+1..a+w
        var allowed = band & okb;
        var scores = matmul(qb, kb).Over(Math.Sqrt(d));                                                    // [B, H, nb, w, 2w]
        scores = scores.masked_fill(allowed.logical_not(), Scalars.NegativeInfinity);
        var max = scores.amax(new long[] { -1 }, keepdim: true).nan_to_num(0.0, 0.0, 0.0);
        var e = (scores - max).exp().masked_fill(allowed.logical_not(), Scalars.Zero);
        var num = matmul(e, vb).view(b, h, nb * w, d)[.., .., ..(int)t];
        var den = e.sum(-1).view(b, h, nb * w, 1)[.., .., ..(int)t];
        var tail = kExt.shape[2] - pad;                                                                    // end of real keys
        var nextK = kExt[.., .., (int)(tail - w)..(int)tail];
        var nextV = vExt[.., .., (int)(tail - w)..(int)tail];
        var nextValid = validExt[.., (int)(tail - w)..(int)tail];
        return (num.MoveToOuterDisposeScope(), den.MoveToOuterDisposeScope(), nextK.MoveToOuterDisposeScope(),
            nextV.MoveToOuterDisposeScope(), nextValid.MoveToOuterDisposeScope());
    }

    /// <summary>The window weights exp(s − max) as a dense [B, H, T, T] matrix (zero outside the window), for attention maps.</summary>
    public static Tensor DenseWeights(Tensor q, Tensor k, Tensor? valid, int w)
    {
        using var scope = NewDisposeScope();
        long t = q.shape[2];
        var i = TensorNumbers.Arange(0, t, q.device);
        var allowed = (i.view(1, t) <= i.view(t, 1)) & (i.view(1, t) > i.view(t, 1).Minus(w));                 // [T, T]
        var mask = allowed.view(1, 1, t, t);
        if (valid is not null) mask = mask & valid.to(ScalarType.Bool).view(valid.shape[0], 1, 1, t);
        var scores = matmul(q, k.transpose(2, 3)).Over(Math.Sqrt(q.shape[3])).masked_fill(mask.logical_not(), Scalars.NegativeInfinity);
        var max = scores.amax(new long[] { -1 }, keepdim: true).nan_to_num(0.0, 0.0, 0.0);
        return (scores - max).exp().masked_fill(mask.logical_not(), Scalars.Zero).MoveToOuterDisposeScope();
    }
}
