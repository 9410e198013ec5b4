using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using Lawcat.Llama;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Attention;

/// <summary>What a LAWCAT layer computes and passes to the rest of the network.</summary>
public enum LawcatMode
{
    /// <summary>The student's linear attention (inference, fine-tuning).</summary>
    Student,
    /// <summary>Stage 1: compute both, record the pair, pass the teacher's output on so layers train independently.</summary>
    AttentionTransfer,
    /// <summary>The teacher's softmax attention only (teacher logits for KL, baselines).</summary>
    Teacher,
}

/// <summary>
/// LAWCAT attention: the teacher's q/k/v/o projections, a causal depthwise conv on q and k, a shared feature map φ,
/// a decay gate, and normalized gated linear attention (docs/lawcat.md §1.2):
/// <code>
///   q~ = conv_q(W_q x), k~ = conv_k(expand(W_k x)), v = expand(W_v x)   // expand: GQA heads → query heads
///   S_t = Diag(α_t) S_{t−1} + φ(k~_t)ᵀ [v_t, 1],  o_t = φ(q~_t) S_t / √K,  y_t = o_t[:D] / (o_t[D] + ε)
///   out = W_o y
/// </code>
/// Runs in linear time and constant memory per token. In attention-transfer mode it also computes the teacher's
/// softmax output, records (student, teacher) pre-o_proj outputs and passes the teacher's on, so that stage-1
/// layers train independently.
/// </summary>
public sealed class LawcatAttention : DecoderAttention
{
    readonly CausalConv1d? q_conv1d, k_conv1d, v_conv1d;
    readonly FeatureMap feature_map;
    readonly DecayGate gate;
    readonly RmsNorm? g_norm;
    readonly Parameter? window_factors;
    readonly int _heads, _kvHeads, _headDim;

    /// <summary>The switches this layer was built with.</summary>
    public LawcatOptions Options { get; }

    /// <summary>What forward computes and passes on (default: the student's own output).</summary>
    public LawcatMode Mode { get; set; } = LawcatMode.Student;

    /// <summary>
    /// Where this layer's attention runs (<see cref="KernelBackend"/>); starts as <see cref="LawcatOptions.Kernels"/>. Null:
    /// the process default (<see cref="KernelPolicies.Default"/>).
    /// </summary>
    public KernelPolicy? Kernels { get; set; }

    /// <summary>The policy in effect for this layer's calls.</summary>
    public KernelPolicy Policy => Kernels ?? KernelPolicies.Default;

    /// <summary>
    /// A LAWCAT layer reusing the teacher projections <paramref name="projections"/> as they are (not re-initialized);
    /// new parameters are created in <paramref name="dtype"/> on <paramref name="device"/>.
    /// </summary>
    public LawcatAttention(LlamaConfig config, LawcatOptions options, int layerIndex, AttentionProjections projections,
        Device? device = null, ScalarType? dtype = null) : base(nameof(LawcatAttention), layerIndex, projections)
    {
        Options = options.Validate();
        Kernels = options.Kernels;
        (_heads, _kvHeads, _headDim) = (config.NumAttentionHeads, config.NumKeyValueHeads, config.HeadDim);
        long channels = (long)_heads * _headDim;
        CausalConv1d? Conv(bool on) => on ? new CausalConv1d(channels, options.ConvKernelSize, options.ConvInitOffTap, device, dtype) : null;
        q_conv1d = Conv(options.ConvOnQuery);
        k_conv1d = Conv(options.ConvOnKey);
        v_conv1d = Conv(options.ConvOnValue);
        feature_map = new FeatureMap(options.FeatureMap, _heads, _headDim, options.FeatureMapIdentityInit, device, dtype);
        gate = new DecayGate(options, config.HiddenSize, _kvHeads, _headDim, device, dtype);
        if (options.Normalization == NormalizationKind.OutputRmsNorm) g_norm = new RmsNorm(_headDim, Math.Max(options.NormalizationEps, 1e-6), device, dtype);
        if (options.WindowSize > 0)
        {
            using var init = options.WindowFactorInit.ToScalar();
            window_factors = new Parameter(full(new long[] { 1, _heads, 1, 1 }, init, dtype: dtype ?? ScalarType.Float32, device: device));
        }
        RegisterComponents();
    }

    /// <summary>The parameters LAWCAT adds (conv, feature map, gate, norm, window factors), by name.</summary>
    public IEnumerable<(string Name, Parameter Parameter)> NewParameters() =>
        named_parameters().Where(p => !new[] { "q_proj.", "k_proj.", "v_proj.", "o_proj." }.Any(p.name.StartsWith));

    /// <inheritdoc/>
    public override Tensor forward(Tensor x, AttentionContext ctx)
    {
        using var scope = NewDisposeScope();
        var capture = ctx.Capture;
        bool weights = capture?.RecordWeights == true;
        Tensor passOn;
        if (Mode == LawcatMode.Teacher)
            passOn = TeacherHeads(x, ctx, weights ? capture!.Weights : null);
        else
        {
            var state = ctx.Cache?.GetOrCreate(LayerIndex, () => new LawcatState());
            if (weights && state is null) capture!.Weights[LayerIndex] = AttentionCapture.Keep(AttentionWeights(x, ctx));
            if (state is null && (capture?.RecordLastQueryWeights == true || capture?.RecordLogDecays == true)) RecordDiagnostics(x, ctx, capture);
            passOn = state is null && ctx.Start is not null ? StudentHeadsFrom(x, ctx, ctx.Start) : StudentHeads(x, ctx, state);   // [B, T, H*D]
            if (Mode == LawcatMode.AttentionTransfer || weights)
            {
                var teacher = TeacherHeads(x, ctx, weights ? capture!.TeacherWeights : null);
                if (Mode == LawcatMode.AttentionTransfer)
                {
                    if (capture is not null) capture.TransferPairs[LayerIndex] = (AttentionCapture.Keep(passOn), AttentionCapture.Keep(teacher));
                    passOn = teacher;
                }
            }
        }
        if (capture?.RecordOutputs == true) capture.Outputs[LayerIndex] = AttentionCapture.Keep(passOn.detach().clone());
        return o_proj.forward(passOn).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The teacher's causal softmax output before o_proj, [B, T, H*D], without gradients; its weights go into
    /// <paramref name="weights"/> when given (eager path).
    /// </summary>
    public Tensor TeacherHeads(Tensor x, AttentionContext ctx, Dictionary<int, Tensor>? weights = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var q = RotaryEmbedding.Apply(q_proj.forward(x).view(b, t, _heads, _headDim).transpose(1, 2), ctx.Cos, ctx.Sin);
        var k = RotaryEmbedding.Apply(k_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2), ctx.Cos, ctx.Sin);
        var v = v_proj.forward(x).view(b, t, _kvHeads, _headDim).transpose(1, 2);
        int groups = _heads / _kvHeads;
        var (kr, vr) = (GroupedHeads.RepeatKv(k, groups), GroupedHeads.RepeatKv(v, groups));
        var mask = CausalSoftmax.BuildMask(ctx.KeyMask, t, t, 0, q.dtype, q.device);
        Tensor y;
        if (weights is null) y = CausalSoftmax.Fast(q, kr, vr, mask);
        else
        {
            (y, var w) = CausalSoftmax.Eager(q, kr, vr, mask);
            weights[LayerIndex] = AttentionCapture.Keep(w.detach());
        }
        return y.transpose(1, 2).reshape(b, t, _heads * _headDim).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The linear path's inputs for the new tokens, [B, H, T, ·] in fp32 (or the parameters' dtype); the gate's
    /// log-decays per key/value head [B, Hkv, T, K or 1] (null without a gate).
    /// </summary>
    sealed record Features(Tensor Q, Tensor K, Tensor V, Tensor? Gate, Tensor? RotQ, Tensor? RotK, Tensor? Valid)
    {
        /// <summary>The log-decays per query head and feature, [B, H, T, K] (zeros without a gate).</summary>
        public Tensor ExpandedGate() => Gate is null ? zeros(Q.shape, ScalarType.Float32, Q.device) : GatedLinearAttention.ExpandGate(Gate, Q);
    }

    Features ComputeFeatures(Tensor x, AttentionContext ctx, LawcatState? state)
    {
        var (b, t) = (x.shape[0], x.shape[1]);
        var cd = feature_map.parameters().FirstOrDefault()?.dtype ?? gate.parameters().FirstOrDefault()?.dtype ?? ScalarType.Float32;
        cd = cd == ScalarType.BFloat16 || cd == ScalarType.Float16 ? cd : ScalarType.Float32;
        var valid = ctx.KeyMask?[.., (int)ctx.PastLength..];                                // [B, T]
        Tensor Project(nn.Module<Tensor, Tensor> p, int heads)
        {
            var y = p.forward(x).to(cd);                                                    // [B, T, heads*D]
            if (valid is not null) y = y * valid.unsqueeze(-1).to(cd);                      // padding must not enter the conv
            return heads == _heads ? y : Expand(y, b, t);
        }
        var q = Project(q_proj, _heads);
        var k = Project(k_proj, _kvHeads);
        var v = Project(v_proj, _kvHeads);
        Tensor? qTail = null, kTail = null, vTail = null;
        if (q_conv1d is not null) (q, qTail) = q_conv1d.forward(q, state?.QTail);
        if (k_conv1d is not null) (k, kTail) = k_conv1d.forward(k, state?.KTail);
        if (v_conv1d is not null) (v, vTail) = v_conv1d.forward(v, state?.VTail);
        state?.SetTails(qTail, kTail, vTail);
        Tensor Heads(Tensor y) => y.view(b, t, _heads, _headDim).transpose(1, 2);           // [B, H, T, D]
        var (qh, kh, vh) = (Heads(q), Heads(k), Heads(v));
        Tensor? rotQ = null, rotK = null;
        if (Options.RopeOnLinearPath || Options.WindowSize > 0)
        {
            rotQ = RotaryEmbedding.Apply(qh, ctx.Cos.to(cd), ctx.Sin.to(cd));
            rotK = RotaryEmbedding.Apply(kh, ctx.Cos.to(cd), ctx.Sin.to(cd));
        }
        var fq = feature_map.forward(Options.RopeOnLinearPath ? rotQ! : qh);
        var fk = feature_map.forward(Options.RopeOnLinearPath ? rotK! : kh);
        if (valid is not null) fk = fk * valid.view(b, 1, t, 1).to(fk.dtype);              // no numerator or denominator from padding
        var g = gate.forward(x.to(cd));                                                     // [B, Hkv, T, K or 1] or null
        return new Features(fq, fk, vh, g, rotQ, rotK, valid);
    }

    /// <summary>Repeats each key/value head's channels for its query heads: [B, T, Hkv*D] → [B, T, H*D].</summary>
    Tensor Expand(Tensor y, long b, long t)
    {
        int groups = _heads / _kvHeads;
        return y.view(b, t, _kvHeads, 1, _headDim).expand(b, t, _kvHeads, groups, _headDim).reshape(b, t, (long)_heads * _headDim);
    }

    /// <summary>The student's output before o_proj, [B, T, H*D] in x's dtype; updates <paramref name="state"/> if given.</summary>
    public Tensor StudentHeads(Tensor x, AttentionContext ctx, LawcatState? state = null)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        bool decoding = state is not null && t == 1;
        if (KernelBackend.FusedLayer(Policy, x, decoding, HeadlinePath, NeedsGradient(x), FusedShape))
            return FusedStudentHeads(x, ctx, state, decoding).MoveToOuterDisposeScope();
        var f = ComputeFeatures(x, ctx, state);
        double scale = 1.0 / Math.Sqrt(f.Q.shape[3]);
        Tensor y, s;
        if (Options.Normalization == NormalizationKind.Denominator && Options.WindowSize == 0)
        {
            var g = f.Gate ?? zeros(new[] { b, 1L, t, 1L }, ScalarType.Float32, x.device);
            (y, s) = decoding
                ? KernelBackend.NormalizedStep(f.Q, f.K, f.V, g, scale, Options.NormalizationEps, state!.S, Policy)
                : KernelBackend.Normalized(f.Q, f.K, f.V, g, scale, Options.NormalizationEps, state?.S, Policy, Options.Form, Options.ChunkSize, operands: x.dtype);
        }
        else
        {
            var values = Options.Normalization == NormalizationKind.Denominator ? GatedLinearAttention.WithDenominatorColumn(f.V) : f.V;
            (var o, s) = RunOp(f.Q, f.K, values, f.ExpandedGate(), scale, state?.S, decoding);
            y = Normalize(o.to(ScalarType.Float32), f, state);                              // [B, H, T, D]
        }
        state?.SetS(s);
        return y.transpose(1, 2).reshape(b, t, (long)_heads * _headDim).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The student's output [B, T, H*D] for a training forward that starts from <paramref name="start"/> instead of zeros:
    /// a detached prefix, run without gradients, whose final state and conv tails the rest continues from; and/or a
    /// noise state (<see cref="StateNoise"/>) in the chosen rows.
    /// </summary>
    Tensor StudentHeadsFrom(Tensor x, AttentionContext ctx, RecurrentStart start)
    {
        using var scope = NewDisposeScope();
        using var state = new LawcatState();
        long p = start.DetachedPrefix, t = x.shape[1];
        Tensor? head = null;
        if (p > 0)
        {
            using var _ = no_grad();
            head = StudentHeads(x[.., ..(int)p], ctx.Slice(0, p), state);
        }
        var (rest, restCtx) = p > 0 ? (x[.., (int)p..], ctx.Slice(p, t)) : (x, ctx);
        if (start.NoiseRows is not null) state.SetS(NoiseState(rest, restCtx, start));
        var tail = StudentHeads(rest, restCtx, state);
        return (head is null ? tail : cat(new[] { head, tail }, 1)).MoveToOuterDisposeScope();
    }

    /// <summary>A noise state for the rows <paramref name="start"/> names, fitted to this layer's keys and values on <paramref name="x"/>.</summary>
    Tensor NoiseState(Tensor x, AttentionContext ctx, RecurrentStart start)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var f = ComputeFeatures(x, ctx, null);
        // A CPU generator on every device: creating a CUDA generator through TorchSharp crashed the process (SIGSEGV on
        // an H200), and the draws are small. The same seed then gives the same noise on the CPU and on a GPU.
        using var generator = new Generator((ulong)Seeds.Combine(start.NoiseSeed, LayerIndex));
        return StateNoise.Sample(f.K, f.V, f.Valid, start.NoiseRows!, start.NoiseTokens, Options.Normalization == NormalizationKind.Denominator, generator)
            .MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Whether this layer computes what the fused LAWCAT kernels compute: the headline linear path (conv on q and k only,
    /// Hedgehog, denominator normalization, no RoPE, no window, chunked form).
    /// </summary>
    bool HeadlinePath
    {
        get
        {
            var o = Options;
            return o.FeatureMap == FeatureMapKind.HedgehogSoftmax && o.ConvOnQuery && o.ConvOnKey && !o.ConvOnValue && !o.RopeOnLinearPath
                && o.WindowSize == 0 && o.Normalization == NormalizationKind.Denominator && o.Form == GlaForm.Chunked;
        }
    }

    /// <summary>The widths and weight dtypes the fused kernels depend on.</summary>
    LawcatKernels.LayerShape FusedShape => new(_headDim, Options.ConvKernelSize,
        q_conv1d?.Weight.dtype ?? ScalarType.Float32, feature_map.Weight?.dtype ?? ScalarType.Float32);

    // Gradient mode first: listing the parameters costs more than a decoding step's launch.
    bool NeedsGradient(Tensor x) => is_grad_enabled() && KernelBackend.NeedsGradient(parameters().Append(x));

    /// <summary>
    /// <see cref="StudentHeads"/> on the fused kernels (<see cref="KernelBackend.FusedLayer"/> decides): a prompt or one
    /// decoding step. The conv tails and state keep the tensor path's layout, so either path can continue the other.
    /// </summary>
    Tensor FusedStudentHeads(Tensor x, AttentionContext ctx, LawcatState? state, bool decoding) =>
        decoding ? FusedDecodeStep(x, state!) : FusedPrefill(x, ctx, state);

    /// <summary>
    /// A prompt: projections (cuBLAS) and gate in tensor operations, one kernel for the conv and feature maps, the tensor-core
    /// op; in training, the last two as autograd nodes (<see cref="KernelBackend.Features"/>, <see cref="KernelBackend.Normalized"/>).
    /// </summary>
    Tensor FusedPrefill(Tensor x, AttentionContext ctx, LawcatState? state)
    {
        using var scope = NewDisposeScope();
        var (b, t) = (x.shape[0], x.shape[1]);
        var (qp, kp, vp) = (q_proj.forward(x), k_proj.forward(x), v_proj.forward(x));    // [B, T, H*D], [B, T, Hkv*D] x 2
        var g = gate.forward(x.to(ScalarType.Float32));                                   // [B, Hkv, T, K or 1] or null
        var valid = ctx.KeyMask?[.., (int)ctx.PastLength..];                               // [B, T]
        var (fq, fk, qt, kt) = KernelBackend.Features(qp, kp, q_conv1d!.Weight, k_conv1d!.Weight, state?.QTail, state?.KTail, feature_map.Weight!, valid, _heads, _kvHeads);
        state?.SetTails(qt, kt, null);
        var v = vp.view(b, t, _kvHeads, _headDim).transpose(1, 2);                          // [B, Hkv, T, D], shared by each group
        var (o, s) = KernelBackend.Normalized(fq, fk, v, g ?? zeros(new[] { b, 1L, t, 1L }, ScalarType.Float32, x.device), 1.0 / Math.Sqrt(_headDim),
            Options.NormalizationEps, state?.S, Policy);
        state?.SetS(s);
        return o.transpose(1, 2).reshape(b, t, (long)_heads * _headDim).to(x.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// A decoding step in one kernel: with plain linear projections and LAWCAT's low-rank gate the kernel also projects
    /// the token and computes its decays; otherwise those come from tensor operations.
    /// </summary>
    Tensor FusedDecodeStep(Tensor x, LawcatState state)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0];
        int taps = Options.ConvKernelSize;
        Tensor Tail(Tensor? tail) => tail is { dtype: ScalarType.Float32 } && tail.is_contiguous() ? tail
            : tail?.to(ScalarType.Float32).contiguous() ?? zeros(new[] { b, (long)_heads * _headDim, taps - 1L }, ScalarType.Float32, x.device);
        var (qTail, kTail) = (Tail(state.QTail), Tail(state.KTail));
        var s = state.S is { dtype: ScalarType.Float32 } && state.S.is_contiguous() ? state.S
            : state.S?.to(ScalarType.Float32).contiguous() ?? zeros(new[] { b, (long)_heads, _headDim, _headDim + 1L }, ScalarType.Float32, x.device);
        var weights = PlainProjections() is { } pw && LawcatKernels.TakesProjections(x, pw, _heads, _kvHeads) ? pw : null;
        var lowRank = gate.LowRankWeights() is { } lr && new LawcatKernels.LowRankGate(lr.Down, lr.Up, lr.Bias, lr.Normalizer) is var lg
            && LawcatKernels.TakesGate(x, lg, _kvHeads) ? lg : null;
        var projected = weights is null ? (q_proj.forward(x), k_proj.forward(x), v_proj.forward(x)) : ((Tensor, Tensor, Tensor)?)null;
        var g = lowRank is null ? gate.forward(x.to(ScalarType.Float32)) : null;
        var y = LawcatKernels.DecodeStep(x, weights, projected, q_conv1d!.Weight, k_conv1d!.Weight, qTail, kTail, feature_map.Weight!, lowRank, g, s,
            1.0 / Math.Sqrt(_headDim), Options.NormalizationEps, _heads, _kvHeads);
        state.SetTails(qTail, kTail, null);
        state.SetS(s);
        return y.MoveToOuterDisposeScope();                                                // [B, 1, H*D]
    }

    /// <summary>The q, k, v projections' weights when all three are plain linear maps (not LoRA-wrapped, say).</summary>
    LawcatKernels.Projections? PlainProjections() =>
        q_proj is Linear q && k_proj is Linear k && v_proj is Linear v ? new(q.weight!, k.weight!, v.weight!, q.bias, k.bias, v.bias) : null;

    (Tensor O, Tensor S) RunOp(Tensor q, Tensor k, Tensor v, Tensor g, double scale, Tensor? s0, bool decoding)
    {
        if (decoding) return KernelBackend.Step(q, k, v, g, scale, s0, Policy);
        return Options.Form switch
        {
            GlaForm.Parallel => GatedLinearAttention.Parallel(q, k, v, g, scale, s0),
            GlaForm.Recurrent => GatedLinearAttention.Recurrent(q, k, v, g, scale, s0),
            _ => KernelBackend.Chunked(q, k, v, g, scale, s0, Policy, Options.ChunkSize),
        };
    }

    Tensor Normalize(Tensor o, Features f, LawcatState? state)
    {
        switch (Options.Normalization)
        {
            case NormalizationKind.None: return o;
            case NormalizationKind.OutputRmsNorm: return g_norm!.forward(o);
        }
        var num = o[.., .., .., .._headDim];
        var den = o[.., .., .., _headDim..];
        if (Options.WindowSize > 0)
        {
            var (wn, wd, nk, nv, nvalid) = SlidingWindowSoftmax.Forward(f.RotQ!.to(ScalarType.Float32), f.RotK!.to(ScalarType.Float32),
                f.V.to(ScalarType.Float32), f.Valid, Options.WindowSize, state?.WindowK, state?.WindowV, state?.WindowValid);
            state?.SetWindow(nk, nv, nvalid);
            var wf = window_factors!.to(ScalarType.Float32).sigmoid();
            num = num.Plus(wf * wn);
            den = den.Plus(wf * wd);
        }
        return num / den.Plus(Options.NormalizationEps);
    }

    /// <summary>The gate's log-decays and the last query's implied weights, as <paramref name="capture"/> asks, from the layer's own features.</summary>
    void RecordDiagnostics(Tensor x, AttentionContext ctx, AttentionCapture capture)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var f = ComputeFeatures(x, ctx, null);
        if (capture.RecordLogDecays && f.Gate is not null) capture.LogDecays[LayerIndex] = AttentionCapture.Keep(f.Gate.to(ScalarType.Float32).clone());
        if (capture.RecordLastQueryWeights) capture.LastQueryWeights[LayerIndex] = AttentionCapture.Keep(LastQueryWeights(f));
    }

    /// <summary>
    /// The last row of <see cref="AttentionWeights"/>, [B, H, T], without the T × T matrices: w[i] ∝ φ(q~_last)·φ(k~_i)
    /// times the decay from i to the last token, plus the window term, normalized as the layer normalizes.
    /// </summary>
    Tensor LastQueryWeights(Features f)
    {
        using var scope = NewDisposeScope();
        long t = f.Q.shape[2];
        using var scale = (1.0 / Math.Sqrt(f.Q.shape[3])).ToScalar();
        using var eps = Options.NormalizationEps.ToScalar();
        var cum = f.ExpandedGate().to(ScalarType.Float64).cumsum(2);                       // [B, H, T, K]
        var decay = (cum[.., .., ^1..] - cum).to(ScalarType.Float32).exp();                // Π_{m=i+1..last} α_m
        var w = (f.Q[.., .., ^1..].to(ScalarType.Float32) * f.K.to(ScalarType.Float32) * decay).sum(-1) * scale;   // [B, H, T]
        if (Options.WindowSize > 0)
        {
            using var firstInWindow = (t - Options.WindowSize).ToScalar();
            var scores = matmul(f.RotQ![.., .., ^1..].to(ScalarType.Float32), f.RotK!.to(ScalarType.Float32).transpose(2, 3)).squeeze(2);   // [B, H, T]
            var inWindow = (TensorNumbers.Arange(0, t, w.device) >= firstInWindow).view(1, 1, t);
            if (f.Valid is not null) inWindow = inWindow & f.Valid.to(ScalarType.Bool).unsqueeze(1);
            var masked = (scores * scale).masked_fill(inWindow.logical_not(), Scalars.NegativeInfinity);
            var e = (masked - masked.amax(new long[] { -1 }, keepdim: true)).exp().masked_fill(inWindow.logical_not(), Scalars.Zero);
            w = w.Plus(window_factors!.to(ScalarType.Float32).sigmoid().view(1, -1, 1) * e);
        }
        if (Options.Normalization == NormalizationKind.Denominator) w = w / w.sum(-1, keepdim: true).add(eps, Scalars.One);
        return w.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The student's implied attention weights [B, H, T, T] for a whole prompt (docs/lawcat.md §1.3): w[t, i] ∝ φ(q~_t)·φ(k~_i)
    /// times the decay from i to t (plus the window term when enabled), rows normalized as the layer normalizes them.
    /// </summary>
    public Tensor AttentionWeights(Tensor x, AttentionContext ctx)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var f = ComputeFeatures(x, ctx, null);
        var w = GatedLinearAttention.ParallelWeights(f.Q, f.K, f.ExpandedGate(), 1.0 / Math.Sqrt(f.Q.shape[3]));
        if (Options.WindowSize > 0)
            w = w.Plus(window_factors!.to(ScalarType.Float32).sigmoid() * SlidingWindowSoftmax.DenseWeights(f.RotQ!.to(ScalarType.Float32), f.RotK!.to(ScalarType.Float32), f.Valid, Options.WindowSize));
        if (Options.Normalization == NormalizationKind.Denominator) w = w / w.sum(-1, keepdim: true).Plus(Options.NormalizationEps);
        return w.MoveToOuterDisposeScope();
    }
}
