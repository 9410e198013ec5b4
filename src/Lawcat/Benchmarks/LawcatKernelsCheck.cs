using Lawcat.Attention;
using Lawcat.Llama;
using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Benchmarks;

/// <summary>
/// Checks the fused LAWCAT kernels (<see cref="LawcatKernels"/> with the tensor-core GLA) against the same layer on its
/// tensor operations: a layer with random (trained-looking) conv filters, feature maps and gates, a left-padded batch,
/// prefill, then decoding steps (the decoding kernel projecting the token and computing the low-rank gate itself, and,
/// in one case, handed the projections and a scalar gate's decays); outputs, recurrent states and conv tails, relative
/// RMSE ≤ 5e-3, and ≤ 1e-2 for a bf16 layer (the fused path hands the op bf16 features, the tensor path fp32 ones); a bf16
/// layer's training gradients on the fused path (features and op as autograd nodes), within 1e-2. Also the normalized decoding step
/// alone against the fp32 recurrence (≤ 1e-5 fp32, ≤ 5e-3 bf16).
/// Needs a CUDA device.
/// </summary>
public static class LawcatKernelsCheck
{
    const double Tolerance = 5e-3, LayerBf16Tolerance = 1e-2;

    /// <summary>Runs every case on <paramref name="device"/>; <paramref name="small"/> shortens the prompts (for the CPU emulator).</summary>
    public static List<KernelCheckRow> Run(Device device, bool small = false) => KernelCheck.Run(Cases(device, small));

    /// <summary>Every case, to run with <see cref="KernelCheck.Run"/>.</summary>
    public static IEnumerable<KernelCheck.Case> Cases(Device device, bool small = false)
    {
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float32 })
        {
            var (prompt, steps) = small ? (70, 6) : (150, 12);
            yield return Fused(device, $"fused layer {dtype}, prompt {prompt} + {steps} steps", () => Layer(device, dtype, prompt, steps));
        }
        // A prompt shorter than the conv; projections and decays handed to the decoding kernel (wrapped projections, a scalar gate).
        yield return Fused(device, "fused layer BFloat16, prompt 2 + 3 steps, projections and scalar gate given",
            () => Layer(device, ScalarType.BFloat16, prompt: 2, steps: 3, inputsGiven: true));
        foreach (var dtype in new[] { ScalarType.BFloat16, ScalarType.Float32 })
            yield return Fused(device, $"normalized step {dtype}", () => new[] { Step(device, dtype) });
        int trained = small ? 70 : 150;
        yield return Fused(device, $"fused layer training BFloat16, prompt {trained}", () => Training(device, trained));
    }

    static KernelCheck.Case Fused(Device device, string name, Func<IEnumerable<KernelCheckRow>> rows) => new(name, () =>
    {
        if (!KernelLaunchers.Current.Runs(device)) throw new LawcatException($"the fused LAWCAT kernels cannot run on {device} here (they need CUDA and NVRTC).");
        return rows().ToList();
    });

    /// <summary>
    /// A layer with random LAWCAT parameters. With <paramref name="inputsGiven"/>, its projections are wrapped (not plain
    /// linear maps) and its gate is scalar, so the decoding kernel is handed projections and decays instead of making them.
    /// </summary>
    static LawcatAttention RandomLayer(Device device, ScalarType dtype, bool inputsGiven, out LlamaConfig config)
    {
        manual_seed(3);
        config = LlamaConfig.Llama32_1B with { NumAttentionHeads = 8, NumKeyValueHeads = 2, HeadDim = 64, HiddenSize = 512 };
        var teacher = new SoftmaxAttention(config, 0, device, dtype);
        var options = inputsGiven ? LawcatOptions.Default with { Gate = GateKind.ScalarPerHead } : LawcatOptions.Default;
        var layer = new LawcatAttention(config, options, 0, teacher.Projections, device, ScalarType.Float32);
        foreach (var (name, p) in layer.NewParameters())
            p.add_(randn_like(p).Times(name.Contains("conv") ? 0.3 : name.Contains("gk_proj.1.bias") ? 2.0 : 0.1), Scalars.One);
        if (inputsGiven)
            foreach (var (name, proj) in new[] { ("q_proj", teacher.Projections.Q), ("k_proj", teacher.Projections.K), ("v_proj", teacher.Projections.V) })
                layer.ReplaceProjection(name, nn.Sequential(("0", proj)));
        return layer;
    }

    /// <summary>Prefill of a left-padded batch, then decoding steps: fused kernels against the tensor operations.</summary>
    static IEnumerable<KernelCheckRow> Layer(Device device, ScalarType dtype, int prompt, int steps, bool inputsGiven = false)
    {
        using var scope = NewDisposeScope();
        var layer = RandomLayer(device, dtype, inputsGiven, out var config);
        var rotary = new RotaryEmbedding(config);
        int total = prompt + steps;
        var x = randn(new long[] { 2, total, config.HiddenSize }, dtype: dtype, device: device);
        var mask = ones(new long[] { 2, total }, ScalarType.Bool, device);
        if (prompt > 10) mask[1, ..10].fill_(Scalars.Zero);                                                  // row 1 is left-padded
        AttentionContext Ctx(long start, long t)
        {
            var pos = TensorNumbers.Arange(start, start + t, device).unsqueeze(0).expand(2, t);
            var (cos, sin) = rotary.Forward(pos, dtype);
            return new AttentionContext { PositionIds = pos, Cos = cos, Sin = sin, PastLength = start, KeyMask = mask[.., ..(int)(start + t)] };
        }
        (Tensor Out, LawcatState State) Run(KernelPolicy policy)
        {
            layer.Kernels = policy;
            var state = new LawcatState();
            var outs = new List<Tensor> { layer.StudentHeads(x[.., ..prompt], Ctx(0, prompt), state) };
            for (int i = prompt; i < total; i++) outs.Add(layer.StudentHeads(x[.., i..(i + 1)], Ctx(i, 1), state));
            return (cat(outs, 1), state);
        }
        var (refOut, refState) = Run(KernelPolicy.TensorOnly);
        var (outFused, state) = Run(KernelPolicy.Fused);
        string what = $"fused layer {dtype}, prompt {prompt} + {steps} steps{(inputsGiven ? ", projections and scalar gate given" : "")}";
        var real = mask.unsqueeze(-1).to(refOut.dtype);                                           // padded rows' outputs are unused
        var (r, o) = (refOut * real, outFused * real);
        // bf16: the fused path rounds the features to bf16 before the op, the tensor path keeps them in fp32.
        double tol = dtype == ScalarType.BFloat16 ? LayerBf16Tolerance : Tolerance;
        yield return new KernelCheckRow($"{what}: prompt outputs", KernelCheck.Rmse(r[.., ..prompt], o[.., ..prompt]), 0, tol);
        yield return new KernelCheckRow($"{what}: decoded outputs", KernelCheck.Rmse(r[.., prompt..], o[.., prompt..]), 0, tol);
        yield return new KernelCheckRow($"{what}: state", KernelCheck.Rmse(refState.S!, state.S!), 0, tol);
        yield return new KernelCheckRow($"{what}: conv tails", KernelCheck.Rmse(refState.QTail!, state.QTail!), KernelCheck.Rmse(refState.KTail!, state.KTail!), Tolerance);
    }

    /// <summary>
    /// A training step's gradients: a bf16 layer's prompt (left-padded batch) with its LAWCAT parameters training, the loss
    /// a fixed random projection of the real tokens' outputs; on the fused kernels (the features and op nodes) against the
    /// tensor operations. Rows: the outputs, then each new parameter's gradient (the conv filters' pair in one row).
    /// </summary>
    static IEnumerable<KernelCheckRow> Training(Device device, int prompt)
    {
        using var scope = NewDisposeScope();
        var layer = RandomLayer(device, ScalarType.BFloat16, inputsGiven: false, out var config);
        using var grad = enable_grad();
        var rotary = new RotaryEmbedding(config);
        var x = randn(new long[] { 2, prompt, config.HiddenSize }, dtype: ScalarType.BFloat16, device: device);
        var mask = ones(new long[] { 2, prompt }, ScalarType.Bool, device);
        mask[1, ..10].fill_(Scalars.Zero);                                                               // row 1 is left-padded
        var pos = TensorNumbers.Arange(0, prompt, device).unsqueeze(0).expand(2, prompt);
        var (cos, sin) = rotary.Forward(pos, ScalarType.BFloat16);
        var ctx = new AttentionContext { PositionIds = pos, Cos = cos, Sin = sin, PastLength = 0, KeyMask = mask };
        var upstream = randn(new long[] { 2, prompt, config.NumAttentionHeads * 64L }, device: device) * mask.unsqueeze(-1).to(ScalarType.Float32);
        var parameters = layer.NewParameters().ToList();
        foreach (var (_, p) in parameters) p.requires_grad = true;
        (Tensor Out, Dictionary<string, Tensor> Grads) Run(KernelPolicy policy)
        {
            layer.Kernels = policy;
            foreach (var (_, p) in parameters) p.grad?.zero_();
            var y = layer.StudentHeads(x, ctx);
            (y.to(ScalarType.Float32) * upstream).sum().backward();
            return (y.detach(), parameters.ToDictionary(p => p.Name, p => p.Parameter.grad!.clone()));
        }
        var (refOut, refGrads) = Run(KernelPolicy.TensorOnly);
        var (outFused, grads) = Run(KernelPolicy.Fused);
        string what = $"fused layer training BFloat16, prompt {prompt}";
        var real = mask.unsqueeze(-1).to(refOut.dtype);
        yield return new KernelCheckRow($"{what}: outputs", KernelCheck.Rmse(refOut * real, outFused * real), 0, LayerBf16Tolerance);
        yield return new KernelCheckRow($"{what}: d q_conv1d / d k_conv1d", KernelCheck.Rmse(refGrads["q_conv1d.weight"], grads["q_conv1d.weight"]),
            KernelCheck.Rmse(refGrads["k_conv1d.weight"], grads["k_conv1d.weight"]), LayerBf16Tolerance);
        foreach (var name in refGrads.Keys.Where(n => !n.Contains("conv1d")))
            yield return new KernelCheckRow($"{what}: d {name}", KernelCheck.Rmse(refGrads[name], grads[name]), 0, LayerBf16Tolerance);
    }

    /// <summary>The normalized decoding step alone, on features, values and gates shared by groups of heads.</summary>
    static KernelCheckRow Step(Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        var q = randn(2, 8, 1, 64, device: device).softmax(-1).to(dtype);
        var k = randn(2, 8, 1, 64, device: device).softmax(-1).to(dtype);
        var v = randn(2, 2, 1, 64, device: device).to(dtype);
        var g = nn.functional.logsigmoid(randn(2, 2, 1, 64, device: device)).Over(16);
        var s0 = rand(2, 8, 64, 65, device: device);
        var (yRef, sRef) = GatedLinearAttention.Normalized(q.to(ScalarType.Float32), k.to(ScalarType.Float32), v.to(ScalarType.Float32).repeat_interleave(4, 1),
            g, 0.125, 1e-10, s0, GlaForm.Recurrent);
        var (y, s) = LawcatKernels.NormalizedStep(q, k, v, g, 0.125, 1e-10, s0.clone());
        return new KernelCheckRow($"normalized step {dtype}", KernelCheck.Rmse(yRef, y), KernelCheck.Rmse(sRef, s), dtype == ScalarType.Float32 ? 1e-5 : Tolerance);
    }
}
