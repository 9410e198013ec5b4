using static TorchSharp.torch;

namespace Lawcat.Kernels;

/// <summary>
/// The gradients of <see cref="GatedLinearAttention.Normalized"/> in closed form, chunk by chunk, in tensor operations (the
/// backward of fla's chunked GLA). The forward's intra-chunk scores and chunk states are recomputed from the inputs; the
/// gradient of each chunk's entering state runs through the same prefix scan, backwards; the log-decays' gradient comes
/// from the identity ∂L/∂G_t = q_t ⊙ dq_t − k_t ⊙ dk_t on their running sum G (every q_t meets exp(G_t), every k_i
/// exp(−G_i)), plus the final state's share, summed from the end. About thirty batched operations at any length, where
/// autograd through the tensor form records hundreds; the oracle is autograd through <see cref="GatedLinearAttention.Recurrent"/>.
/// </summary>
public static class GatedLinearAttentionBackward
{
    /// <summary>Gradients of the inputs of <see cref="Normalized"/>, each in its input's shape and dtype (null where the input was null).</summary>
    public sealed record Gradients(Tensor Q, Tensor K, Tensor V, Tensor G, Tensor? InitialState);

    /// <summary>
    /// The gradients of (y, final state) = <see cref="GatedLinearAttention.Normalized"/>(q, k, v, g, scale, eps, initial
    /// state) for upstream gradients <paramref name="dy"/> [B, H, T, V] and <paramref name="dFinal"/> [B, H, K, V + 1] (null:
    /// that output is unused). Shapes as there: v [B, Hv, T, V] and g [B, Hg, T, K or 1] may be shared by groups of
    /// query heads. Recomputation and gradients run in fp32; for bf16 inputs on CUDA the matrix products take TF32 (a 10-bit
    /// mantissa, finer than the inputs' 7 bits). <paramref name="chunkSize"/>: a chunk length known to keep the
    /// factored scores in range (see <see cref="LargestChunkDecay"/>); null: found here, at the cost of reading a value from
    /// the device.
    /// </summary>
    public static Gradients Normalized(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps, Tensor? initialState,
        Tensor? dy, Tensor? dFinal, int? chunkSize = null)
    {
        using var scope = NewDisposeScope();
        using var precision = new Tf32Products(q.dtype == ScalarType.BFloat16 && q.device.type == TorchSharp.DeviceType.CUDA);
        var (b, h, t, kd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3]);
        long vd = v.shape[3];
        var values = GatedLinearAttention.WithDenominatorColumn(GatedLinearAttention.ShareHeads(v.to(ScalarType.Float32), h, vd, "value"));  // [B, H, T, V + 1]
        var gates = GatedLinearAttention.ExpandGate(g.to(ScalarType.Float32), q);                                                           // [B, H, T, K]
        int c = chunkSize ?? ChunkSize(gates);
        long n = (t + c - 1) / c;
        // Zero padding adds nothing to states or gradients (zero q, k, v and upstream gradient; zero log-decay).
        Tensor Chunks(Tensor x) => GatedLinearAttention.InChunks(x, c);                // [B, H, N, C, X]
        var (qc, kc, vc) = (Chunks(q), Chunks(k), Chunks(values));
        var dyc = Chunks(dy ?? zeros(new[] { b, h, t, vd }, ScalarType.Float32, q.device));
        var cum = Chunks(gates).cumsum(3);                                               // [B, H, N, C, K], within-chunk running sum
        var last = cum[.., .., .., ^1..];                                                // [B, H, N, 1, K]
        var (eq, ek, el) = (cum.exp(), cum.neg().exp(), (last - cum).exp());
        var (qe, ke, kl) = (qc * eq, kc * ek, kc * el);                                  // q·e^G, k·e^−G, k decayed to the chunk's end
        var above = ones(c, c, ScalarType.Bool, q.device).tril().logical_not();
        var scores = matmul(qe, ke.transpose(3, 4)).masked_fill(above, Scalars.Zero);  // [B, H, N, C, C]
        var s0 = initialState?.to(ScalarType.Float32) ?? zeros(new[] { b, h, kd, vd + 1 }, ScalarType.Float32, q.device);
        var chunkDecay = last.squeeze(3);                                                // [B, H, N, K]
        var (entering, final) = ChunkStates(chunkDecay, matmul(kl.transpose(3, 4), vc), s0);   // [B, H, N, K, V + 1]
        var o = matmul(scores, vc).Plus(matmul(qe, entering)).Times(scale);            // [B, H, N, C, V + 1]

        // y = num / (den + eps): d num = dy / den', d den = −Σ dy·y / den'. do carries the scale from here on.
        var den = o[.., .., .., .., (int)vd..].Plus(eps);                               // [B, H, N, C, 1]
        var y = o[.., .., .., .., ..(int)vd] / den;
        var dOut = cat(new[] { dyc / den, (dyc * y).sum(-1, keepdim: true).neg() / den }, -1).Times(scale);   // [B, H, N, C, V + 1]

        // The gradient of the state leaving chunk n: its own final-state gradient, then back through each chunk's decay.
        var dFinal32 = dFinal?.to(ScalarType.Float32) ?? zeros_like(s0);
        var (leavingReversed, dS0) = ChunkStates(chunkDecay.flip(2), matmul(qe.transpose(3, 4), dOut).flip(2), dFinal32);
        var leaving = leavingReversed.flip(2);                                           // [B, H, N, K, V + 1]

        var dScores = matmul(dOut, vc.transpose(3, 4)).masked_fill(above, Scalars.Zero);  // [B, H, N, C, C]
        var dv = matmul(scores.transpose(3, 4), dOut).Plus(matmul(kl, leaving));        // [B, H, N, C, V + 1]
        var dq = matmul(dScores, ke).Plus(matmul(dOut, entering.transpose(3, 4))) * eq;  // [B, H, N, C, K]
        var dk = (matmul(dScores.transpose(3, 4), qe) * ek).Plus(matmul(vc, leaving.transpose(3, 4)) * el);

        // Log-decays: ∂L/∂G_t summed over t' ≥ t, inside each chunk and then over the chunks after it (in fp64: sums of
        // many cancelling terms), plus what the final state owes to exp(G_T), which every g_t is part of.
        var within = (qc * dq - kc * dk).flip(3).cumsum(3).flip(3);                     // [B, H, N, C, K]
        var chunkTotals = within[.., .., .., 0].to(ScalarType.Float64);                 // [B, H, N, K]
        var later = (chunkTotals.flip(2).cumsum(2).flip(2) - chunkTotals).to(ScalarType.Float32);   // Σ over the chunks after n
        var dGates = within.Plus(later.Plus((dFinal32 * final).sum(-1).unsqueeze(2)).unsqueeze(3))
            .view(b, h, n * c, kd)[.., .., ..(int)t];                                    // [B, H, T, K]

        Tensor Tokens(Tensor x, long width) => x.reshape(b, h, n * c, x.shape[4])[.., .., ..(int)t, ..(int)width];   // [B, H, T, width]
        var gv = Shared(Tokens(dv, vd), v.shape[1]);
        var gg = Shared(dGates, g.shape[1]);
        if (g.shape[3] == 1) gg = gg.sum(-1, keepdim: true);
        return new Gradients(Tokens(dq, kd).to(q.dtype).MoveToOuterDisposeScope(), Tokens(dk, kd).to(k.dtype).MoveToOuterDisposeScope(),
            gv.to(v.dtype).MoveToOuterDisposeScope(), gg.to(g.dtype).MoveToOuterDisposeScope(),
            initialState is null ? null : dS0.to(initialState.dtype).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The largest log-decay of any feature over a chunk of <paramref name="chunk"/> tokens (by default
    /// <see cref="GatedLinearAttention.DefaultChunkSize"/>), as a device scalar: at most
    /// <see cref="GatedLinearAttention.FactoredScoresMaxDecay"/> means that chunk length is safe for <see cref="Normalized"/>.
    /// g [B, Hg, T, K or 1] as there.
    /// </summary>
    public static Tensor LargestChunkDecay(Tensor g, int chunk = GatedLinearAttention.DefaultChunkSize)
    {
        using var scope = NewDisposeScope();
        return GatedLinearAttention.InChunks(g, chunk).sum(3).neg().max().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The longest chunk (64, halving) in which no feature decays by more than <see cref="GatedLinearAttention.FactoredScoresMaxDecay"/>,
    /// so the factored scores q·e^G and k·e^−G stay within fp32's range; down to one token, where they are exact.
    /// </summary>
    static int ChunkSize(Tensor gates)
    {
        int c = GatedLinearAttention.DefaultChunkSize;
        for (; c > 1; c /= 2)
        {
            using var decay = LargestChunkDecay(gates, c);
            if (decay.item<float>() <= GatedLinearAttention.FactoredScoresMaxDecay) break;
        }
        return c;
    }

    /// <summary>
    /// States entering each chunk and the final state for S_{n+1} = exp(d_n) ⊙ S_n + u_n (d [B, H, N, K], u [B, H, N, K, V],
    /// s0 [B, H, K, V]), in blocks of up to 64 chunks: inside a block every entering state is one batched matmul with the
    /// decays between chunks (exponents ≤ 0, differenced in fp64); the blocks are then chained by
    /// <see cref="GatedLinearAttention.ScanChunkStates"/>. A handful of passes over the states where the chunk-level scan
    /// makes several per doubling step.
    /// </summary>
    static (Tensor Entering, Tensor Final) ChunkStates(Tensor d, Tensor u, Tensor s0)
    {
        using var scope = NewDisposeScope();
        var (b, h, n, kd, vd) = (u.shape[0], u.shape[1], u.shape[2], u.shape[3], u.shape[4]);
        long p = Math.Min(n, 64), m = (n + p - 1) / p, pad = m * p - n;
        var dp = (pad == 0 ? d : nn.functional.pad(d, new long[] { 0, 0, 0, pad })).reshape(b, h, m, p, kd).permute(0, 1, 2, 4, 3);   // [B, H, M, K, P]
        var up = (pad == 0 ? u : nn.functional.pad(u, new long[] { 0, 0, 0, 0, 0, pad })).reshape(b, h, m, p, kd, vd).permute(0, 1, 2, 4, 3, 5);   // [B, H, M, K, P, V]
        var d64 = dp.to(ScalarType.Float64);
        var before = d64.cumsum(-1) - d64;                                               // Σ_{j<p} d_j inside the block
        var fromAfter = before.Plus(d64);                                                // Σ_{j≤m} d_j: decay counted from after chunk m
        var earlier = ones(p, p, ScalarType.Bool, d.device).tril(-1).logical_not();
        var weights = (before.unsqueeze(-1) - fromAfter.unsqueeze(-2)).to(ScalarType.Float32)
            .masked_fill(earlier, Scalars.NegativeInfinity).exp();                       // [B, H, M, K, P, P]: Π_{j=m+1}^{p−1} e^{d_j}, m < p
        var local = matmul(weights, up);                                                 // [B, H, M, K, P, V], from a zero state at the block's start
        var lastD = dp[.., .., .., .., ^1..].exp().unsqueeze(-1);                        // [B, H, M, K, 1, 1]
        var blockUpdate = (lastD * local[.., .., .., .., ^1..]).Plus(up[.., .., .., .., ^1..]).squeeze(4);   // [B, H, M, K, V]
        var (blockEntering, final) = GatedLinearAttention.ScanChunkStates(dp.sum(-1), blockUpdate, s0);       // [B, H, M, K, V]
        var entering = local.Plus(before.to(ScalarType.Float32).exp().unsqueeze(-1) * blockEntering.unsqueeze(4));   // [B, H, M, K, P, V]
        entering = entering.permute(0, 1, 2, 4, 3, 5).reshape(b, h, m * p, kd, vd)[.., .., ..(int)n];   // [B, H, N, K, V]
        return (entering.MoveToOuterDisposeScope(), final.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Within its scope, fp32 matrix products on CUDA may use TF32 (libtorch's process-wide switch, restored after). Only the
    /// autograd engine's thread issues work while a backward pass runs.
    /// </summary>
    sealed class Tf32Products : IDisposable
    {
        readonly bool? _before;

        public Tf32Products(bool on)
        {
            if (!on) return;
            _before = TorchSharp.torch.backends.cuda.matmul.allow_tf32;
            TorchSharp.torch.backends.cuda.matmul.allow_tf32 = true;
        }

        public void Dispose()
        {
            if (_before is bool before) TorchSharp.torch.backends.cuda.matmul.allow_tf32 = before;
        }
    }

    /// <summary>Gradients of the query heads [B, H, T, W] summed onto the <paramref name="shared"/> heads they were repeated from.</summary>
    static Tensor Shared(Tensor x, long shared) =>
        shared == x.shape[1] ? x : x.view(x.shape[0], shared, x.shape[1] / shared, x.shape[2], x.shape[3]).sum(2);
}
