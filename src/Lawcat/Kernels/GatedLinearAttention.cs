using static TorchSharp.torch;

namespace Lawcat.Kernels;

/// <summary>
/// Gated linear attention with a per-feature decay (GLA), the core of LAWCAT, in four forms with one meaning:
/// <code>
///   S_t = Diag(exp(g_t)) S_{t-1} + k_tᵀ v_t        S ∈ R^{K×V}, S_0 = initial state
///   o_t = scale · q_t S_t
/// </code>
/// q, k, g: [B, H, T, K]; v: [B, H, T, V]; states: [B, H, K, V] (fp32). g is a log-decay (≤ 0).
/// <see cref="Recurrent"/> is the specification (an fp32 loop over tokens, for tests only),
/// <see cref="Parallel"/> materializes the T×T weights (attention maps, short inputs),
/// <see cref="Chunked"/> is the training and prefill form, <see cref="Step"/> decodes one token.
/// Every form returns (o [B, H, T, V] in q's dtype, final state [B, H, K, V] fp32) and is differentiable. These are
/// tensor operations only, on any device; <see cref="KernelBackend"/> runs the same contracts on the workbench's kernels.
/// </summary>
public static class GatedLinearAttention
{
    /// <summary>Default chunk length of <see cref="Chunked"/>.</summary>
    public const int DefaultChunkSize = 64;

    /// <summary>Sub-chunk length inside a chunk; decays within a sub-chunk are computed pairwise.</summary>
    public const int SubChunkSize = 16;

    /// <summary>
    /// Largest total log-decay within a chunk for which intra-chunk scores are one matmul of q·exp(G) and k·exp(−G)
    /// (G the within-chunk running sum): the factors then stay within e^±30, far from fp32's e^88 overflow, and each
    /// term keeps full relative precision. Beyond it the exponent-≤-0 sub-chunk path is used.
    /// </summary>
    public const double FactoredScoresMaxDecay = 30;

    /// <summary>The specification: a token-by-token fp32 loop. Slow; the oracle for the other forms.</summary>
    public static (Tensor Output, Tensor FinalState) Recurrent(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? initialState = null)
    {
        using var scope = NewDisposeScope();
        var (q32, k32, v32, g32) = (q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32), g.to(ScalarType.Float32));
        var s = initialState?.to(ScalarType.Float32) ?? NewState(q, v);
        var outputs = new List<Tensor>();
        for (long t = 0; t < q.shape[2]; t++)
        {
            var kt = k32[.., .., t];                                                   // [B, H, K]
            s = (s * g32[.., .., t].exp().unsqueeze(-1)).Plus(kt.unsqueeze(-1) * v32[.., .., t].unsqueeze(-2));
            outputs.Add((q32[.., .., t].unsqueeze(-1) * s).sum(-2).Times(scale));      // [B, H, V]
        }
        var o = outputs.Count == 0 ? v32.narrow(2, 0, 0) : stack(outputs, 2);
        return (o.to(q.dtype).MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
    }

    /// <summary>One decoding step: q, k, g [B, H, 1, K], v [B, H, 1, V], state [B, H, K, V].</summary>
    public static (Tensor Output, Tensor FinalState) Step(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? state)
    {
        using var scope = NewDisposeScope();
        var s = state?.to(ScalarType.Float32) ?? NewState(q, v);
        var kt = k.to(ScalarType.Float32).squeeze(2).unsqueeze(-1);                   // [B, H, K, 1]
        var vt = v.to(ScalarType.Float32).squeeze(2).unsqueeze(-2);                   // [B, H, 1, V]
        s = (s * g.to(ScalarType.Float32).squeeze(2).exp().unsqueeze(-1)).Plus(kt * vt);
        var o = matmul(q.to(ScalarType.Float32), s).Times(scale);                      // [B, H, 1, V]
        return (o.to(q.dtype).MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Weights w[t, i] = scale · Σ_f q[t,f] k[i,f] exp(G[t,f] − G[i,f]) for i ≤ t, 0 above the diagonal, with G the
    /// running sum of g. [B, H, T, T], fp32; exponents are computed pairwise, so they never exceed 0. The running
    /// sums are differenced in fp64 because over long inputs they grow far larger than their differences.
    /// </summary>
    public static Tensor ParallelWeights(Tensor q, Tensor k, Tensor g, double scale)
    {
        using var scope = NewDisposeScope();
        long t = q.shape[2];
        var cum = g.to(ScalarType.Float64).cumsum(2);                                  // [B, H, T, K]
        var diff = (cum.unsqueeze(3) - cum.unsqueeze(2)).to(ScalarType.Float32);       // [B, H, T, T, K]: G_t − G_i
        var causal = ones(t, t, ScalarType.Bool, q.device).tril().unsqueeze(-1);      // [T, T, 1]
        var decay = diff.masked_fill(causal.logical_not(), Scalars.NegativeInfinity).exp();
        var w = (q.to(ScalarType.Float32).unsqueeze(3) * k.to(ScalarType.Float32).unsqueeze(2) * decay).sum(-1);
        return w.Times(scale).MoveToOuterDisposeScope();
    }

    /// <summary>The form that materializes the T×T weights; memory O(T²K), for short inputs and attention maps.</summary>
    public static (Tensor Output, Tensor FinalState) Parallel(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? initialState = null)
    {
        using var scope = NewDisposeScope();
        var v32 = v.to(ScalarType.Float32);
        var cum64 = g.to(ScalarType.Float64).cumsum(2);                                // [B, H, T, K]
        var cum = cum64.to(ScalarType.Float32);
        var o = matmul(ParallelWeights(q, k, g, scale), v32);                          // [B, H, T, V]
        var total = cum[.., .., ^1..];                                                 // [B, H, 1, K]
        var toEnd = (cum64[.., .., ^1..] - cum64).to(ScalarType.Float32);              // log-decay from i to the end
        var kDecayed = k.to(ScalarType.Float32) * toEnd.exp();
        var s = matmul(kDecayed.transpose(2, 3), v32);                                 // [B, H, K, V]
        if (initialState is not null)
        {
            var s0 = initialState.to(ScalarType.Float32);
            o = o.Plus(matmul(q.to(ScalarType.Float32) * cum.exp(), s0).Times(scale));
            s = s.Plus(total.transpose(2, 3).exp() * s0);
        }
        return (o.to(q.dtype).MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The chunked form for training and prefill. Within a chunk of <paramref name="chunkSize"/> tokens the
    /// log-decays are summed cumulatively. Intra-chunk scores: when no chunk decays by more than
    /// <see cref="FactoredScoresMaxDecay"/>, one factored matmul per chunk; otherwise the same with chunks of
    /// <see cref="SubChunkSize"/> tokens, and where even those decay too fast, scores between sub-chunks use the
    /// boundary between them as reference point and scores inside a sub-chunk are computed pairwise, so every exponent
    /// is ≤ 0. Chunk states are combined by a parallel prefix scan (log₂ of the chunk count steps), not a loop
    /// over chunks.
    /// </summary>
    public static (Tensor Output, Tensor FinalState) Chunked(Tensor q, Tensor k, Tensor v, Tensor g, double scale,
        Tensor? initialState = null, int chunkSize = DefaultChunkSize)
    {
        using var scope = NewDisposeScope();
        var (b, h, t, kd, vd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3], v.shape[3]);
        int c = chunkSize, sub = Math.Min(SubChunkSize, chunkSize);
        if (c % sub != 0) throw new ArgumentException($"chunk size {c} must be a multiple of {sub}");
        long n = (t + c - 1) / c;
        // Zero k/v padding adds nothing to the state and zero log-decay changes nothing, so padding is exact.
        Tensor Chunks(Tensor x) => InChunks(x, c);
        var (qc, kc, vc) = (Chunks(q), Chunks(k), Chunks(v));
        var cum = Chunks(g).cumsum(3);                                                 // [B, H, N, C, K], within-chunk
        var last = cum[.., .., .., ^1..];                                              // [B, H, N, 1, K]
        bool factored = (-last).max().item<float>() <= FactoredScoresMaxDecay;
        // Strong decays: shorter chunks keep the factored scores in range before falling back to pairwise decays.
        if (!factored && c > sub)
        {
            var (o16, s16) = Chunked(q, k, v, g, scale, initialState, sub);
            return (o16.MoveToOuterDisposeScope(), s16.MoveToOuterDisposeScope());
        }
        var scores = factored ? FactoredScores(qc, kc, cum) : IntraChunkScores(qc, kc, cum, sub);  // [B, H, N, C, C]
        var update = matmul((kc * (last - cum).exp()).transpose(3, 4), vc);            // [B, H, N, K, V]
        var (entering, final) = ScanChunkStates(last.squeeze(3), update, initialState?.to(ScalarType.Float32) ?? NewState(q, v));
        var o = matmul(scores, vc).Plus(matmul(qc * cum.exp(), entering));            // [B, H, N, C, V]
        o = o.Times(scale).view(b, h, n * c, vd)[.., .., ..(int)t];                    // [B, H, T, V]
        return (o.to(q.dtype).MoveToOuterDisposeScope(), final.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// LAWCAT's normalized form: the values extended by a ones column run through the same recurrence, and
    /// y = o[:V] / (o[V] + <paramref name="eps"/>) in fp32. v and g may have fewer heads than q (v [B, Hv, T, V],
    /// g [B, Hg, T, K or 1], head h using h / (H / Hv) and h / (H / Hg)), as GQA shares values and LAWCAT's gate is
    /// shared by the query heads of a group. Returns (y [B, H, T, V] in q's dtype, final state [B, H, K, V + 1] fp32).
    /// <paramref name="form"/> picks the tensor form.
    /// </summary>
    public static (Tensor Output, Tensor FinalState) Normalized(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps,
        Tensor? initialState = null, GlaForm form = GlaForm.Chunked, int chunkSize = DefaultChunkSize) =>
        Normalize(q, k, v, g, eps, (values, gates) => form switch
        {
            GlaForm.Recurrent => Recurrent(q, k, values, gates, scale, initialState),
            GlaForm.Parallel => Parallel(q, k, values, gates, scale, initialState),
            _ => Chunked(q, k, values, gates, scale, initialState, chunkSize),
        });

    /// <summary>
    /// One decoding step of <see cref="Normalized"/>: q, k [B, H, 1, K], v [B, Hv, 1, V], g [B, Hg, 1, K or 1], state
    /// [B, H, K, V + 1].
    /// </summary>
    public static (Tensor Output, Tensor FinalState) NormalizedStep(Tensor q, Tensor k, Tensor v, Tensor g, double scale, double eps, Tensor? state) =>
        Normalize(q, k, v, g, eps, (values, gates) => Step(q, k, values, gates, scale, state));

    /// <summary>
    /// The normalization around an implementation of the plain op: <paramref name="op"/> gets the values with the ones
    /// column [B, H, T, V + 1] and the gates expanded to q's heads and width [B, H, T, K] and returns (o, state); the
    /// result is (o[:V] / (o[V] + eps) in q's dtype, state).
    /// </summary>
    public static (Tensor Output, Tensor FinalState) Normalize(Tensor q, Tensor k, Tensor v, Tensor g, double eps, Func<Tensor, Tensor, (Tensor, Tensor)> op)
    {
        using var scope = NewDisposeScope();
        var values = WithDenominatorColumn(ShareHeads(v, q.shape[1], v.shape[3], "value"));
        var (o, s) = op(values, ExpandGate(g, q));
        return (DivideByDenominator(o, eps).to(q.dtype).MoveToOuterDisposeScope(), s.MoveToOuterDisposeScope());
    }

    /// <summary>Values [B, H, T, V] with a ones column appended, [B, H, T, V + 1]: the column carries the denominator.</summary>
    public static Tensor WithDenominatorColumn(Tensor v) =>
        cat(new[] { v, ones(new[] { v.shape[0], v.shape[1], v.shape[2], 1 }, v.dtype, v.device) }, -1);

    /// <summary>o [B, H, T, V + 1] from values with the denominator column → o[:V] / (o[V] + eps), fp32.</summary>
    public static Tensor DivideByDenominator(Tensor o, double eps)
    {
        var o32 = o.to(ScalarType.Float32);
        int v = (int)o.shape[3] - 1;
        return o32[.., .., .., ..v] / o32[.., .., .., v..].Plus(eps);
    }

    /// <summary>Gate log-decays [B, Hg, T, K or 1] broadcast to q's heads and width: [B, H, T, K].</summary>
    public static Tensor ExpandGate(Tensor g, Tensor q) => ShareHeads(g, q.shape[1], q.shape[3], "gate");

    /// <summary>[B, Hs, T, W or 1] → [B, H, T, W], head h taking shared head h / (H / Hs) (as GQA shares key/value heads).</summary>
    internal static Tensor ShareHeads(Tensor x, long heads, long width, string what)
    {
        long hs = x.shape[1];
        if (heads % hs != 0) throw new ArgumentException($"{heads} query heads cannot share {hs} {what} heads evenly");
        var repeated = GroupedHeads.RepeatKv(x, (int)(heads / hs));
        return repeated.shape[3] == width ? repeated : repeated.expand(x.shape[0], heads, x.shape[2], width);
    }

    /// <summary>A[t, i] = (q_t ⊙ exp(cum_t)) · (k_i ⊙ exp(−cum_i)) for i ≤ t, valid while the chunk's decay is bounded.</summary>
    static Tensor FactoredScores(Tensor q, Tensor k, Tensor cum)
    {
        long c = q.shape[3];
        var causal = ones(c, c, ScalarType.Bool, q.device).tril();
        return matmul(q * cum.exp(), (k * (-cum).exp()).transpose(3, 4)).masked_fill(causal.logical_not(), Scalars.Zero);
    }

    /// <summary>A[t, i] = Σ_f q[t,f] k[i,f] exp(cum[t,f] − cum[i,f]) for i ≤ t within each chunk, with exponents ≤ 0.</summary>
    static Tensor IntraChunkScores(Tensor q, Tensor k, Tensor cum, int sub)
    {
        var (b, h, n, c, kd) = (q.shape[0], q.shape[1], q.shape[2], q.shape[3], q.shape[4]);
        int p = (int)(c / sub);
        var dev = q.device;
        // Across sub-chunks: query sub-chunk j against all earlier keys, through the reference index j·sub − 1.
        var refIdx = TensorNumbers.Arange(0, p, dev).Times(sub).Minus(1);              // [P]; −1 for j = 0 (unused)
        var refCum = cum.index_select(3, refIdx.clamp_min(Scalars.Zero));              // [B, H, N, P, K]
        var qs = q.view(b, h, n, p, sub, kd);
        var cs = cum.view(b, h, n, p, sub, kd);
        var qRef = qs * (cs - refCum.unsqueeze(4)).exp();                              // [B, H, N, P, S, K]
        var keyIdx = TensorNumbers.Arange(0, c, dev);
        var before = (keyIdx.unsqueeze(0) <= refIdx.unsqueeze(1)).view(p, c, 1);       // [P, C, 1]: i ≤ ref_j
        var kExp = (refCum.unsqueeze(4) - cum.unsqueeze(3)).masked_fill(before.logical_not(), Scalars.NegativeInfinity);
        var kRef = k.unsqueeze(3) * kExp.exp();                                        // [B, H, N, P, C, K]
        var across = matmul(qRef, kRef.transpose(4, 5));                               // [B, H, N, P, S, C]
        // Inside a sub-chunk: exact pairwise decays.
        var ks = k.view(b, h, n, p, sub, kd);
        var diff = cs.unsqueeze(5) - cs.unsqueeze(4);                                  // [B, H, N, P, S, S, K]
        var causal = ones(sub, sub, ScalarType.Bool, dev).tril().unsqueeze(-1);
        var within = (qs.unsqueeze(5) * ks.unsqueeze(4) * diff.masked_fill(causal.logical_not(), Scalars.NegativeInfinity).exp()).sum(-1);
        var blockDiag = within.unsqueeze(5) * eye(p, device: dev).view(p, 1, p, 1);   // [B, H, N, P, S, P, S]
        return across.Plus(blockDiag.view(b, h, n, p, sub, c)).view(b, h, n, c, c);
    }

    /// <summary>
    /// States entering each chunk and the final state, from per-chunk log-decays d [B, H, N, K] and updates
    /// u [B, H, N, K, V], where S_{n+1} = exp(d_n) ⊙ S_n + u_n. Hillis–Steele scan: ⌈log₂ N⌉ steps.
    /// </summary>
    internal static (Tensor Entering, Tensor Final) ScanChunkStates(Tensor d, Tensor u, Tensor s0)
    {
        long n = d.shape[2];
        for (long off = 1; off < n; off *= 2)
        {
            var dPrev = d[.., .., ..(int)(n - off)];
            var uPrev = u[.., .., ..(int)(n - off)];
            var dCur = d[.., .., (int)off..];
            var uCur = u[.., .., (int)off..];
            u = cat(new[] { u[.., .., ..(int)off], uCur.Plus(dCur.exp().unsqueeze(-1) * uPrev) }, 2);
            d = cat(new[] { d[.., .., ..(int)off], dCur.Plus(dPrev) }, 2);
        }
        var after = (d.exp().unsqueeze(-1) * s0.unsqueeze(2)).Plus(u);                // state after chunk n
        var entering = cat(new[] { s0.unsqueeze(2), after[.., .., ..(int)(n - 1)] }, 2);
        return (entering, after[.., .., -1]);
    }

    /// <summary>[B, H, T, X] → [B, H, N, C, X] in fp32, zero-padded at the end to whole chunks of <paramref name="chunk"/> tokens.</summary>
    internal static Tensor InChunks(Tensor x, int chunk)
    {
        var (b, h, t) = (x.shape[0], x.shape[1], x.shape[2]);
        long n = (t + chunk - 1) / chunk, pad = n * chunk - t;
        var x32 = x.to(ScalarType.Float32);
        return (pad == 0 ? x32 : nn.functional.pad(x32, new long[] { 0, 0, 0, pad })).reshape(b, h, n, chunk, x.shape[3]);
    }

    static Tensor NewState(Tensor q, Tensor v) => zeros(new[] { q.shape[0], q.shape[1], q.shape[3], v.shape[3] }, ScalarType.Float32, q.device);
}
