using Lawcat.Attention;
using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using static TorchSharp.torch;

namespace Lawcat.Benchmarks;

/// <summary>
/// Checks <see cref="GlaCuda"/> and <see cref="GlaMma"/> against <see cref="GatedLinearAttention.Recurrent"/> (the
/// specification) in fla's style: outputs and final states, relative RMSE ≤ 1e-5 with fp32 inputs and ≤ 5e-3 with bf16
/// inputs, over lengths around the chunk size, gates from weak to strong (every score path), with an initial state, and
/// prefill followed by decoding steps; the tensor-core kernels also normalized, on strided views, with gates shared by
/// groups of heads and sequences cut into several segments; the training path (<see cref="NormalizedGlaFunction"/>: the
/// tensor-core forward and the closed-form backward) on outputs, final states and the gradients of q, k, v, g and the
/// initial state against autograd through the recurrence, within 5e-3 (bf16 operands). Needs a CUDA device.
/// </summary>
public static class GlaCudaCheck
{
    /// <summary>Runs every case on <paramref name="device"/> (<see cref="KernelCheck.Run"/>: a fault ends the check with a failed row).</summary>
    public static List<KernelCheckRow> Run(Device device) => KernelCheck.Run(Cases(device));

    /// <summary>Every case, to run with <see cref="KernelCheck.Run"/>.</summary>
    public static IEnumerable<KernelCheck.Case> Cases(Device device) =>
        CudaCoreCases(device).Concat(TensorCoreCases(device, small: false)).Concat(TrainingCases(device, small: false));

    /// <summary>The training-path cases alone; <paramref name="small"/> as in <see cref="RunTensorCores"/>.</summary>
    public static List<KernelCheckRow> RunTraining(Device device, bool small = false) => KernelCheck.Run(TrainingCases(device, small));

    /// <summary>
    /// The tensor-core cases alone (<see cref="GlaMma"/>): with <paramref name="small"/>, fewer and shorter ones on fewer
    /// heads (for the CPU emulator of the kernels, which runs them in the test suite).
    /// </summary>
    public static List<KernelCheckRow> RunTensorCores(Device device, bool small = false) => KernelCheck.Run(TensorCoreCases(device, small));

    static IEnumerable<KernelCheck.Case> CudaCoreCases(Device device)
    {
        foreach (var (k, v) in new[] { (64, 65), (20, 33) })
            foreach (var t in new[] { 1, 7, 63, 64, 65, 500, 4096 })
                foreach (var normalizer in new[] { 0.1, 1.0, 16.0 })
                    foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
                        yield return One($"prefill K={k} V={v} T={t} normalizer={normalizer} {dtype}", () => Prefill(device, k, v, t, normalizer, dtype));
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
            yield return One($"prefill 100 + 20 decode steps {dtype}", () => Decode(device, dtype));
    }

    static IEnumerable<KernelCheck.Case> TensorCoreCases(Device device, bool small)
    {
        var (lengths, normalizers, heads) = small
            ? (new[] { 7, 65, 200 }, new[] { 0.02, 16.0 }, 4L)
            : (new[] { 1, 7, 63, 64, 65, 500, 4096 }, new[] { 0.02, 1.0, 16.0 }, 8L);
        foreach (var t in lengths)
            foreach (var normalizer in normalizers)
                foreach (var normalize in new[] { true, false })
                    yield return One(TensorCoreName(t, normalizer, normalize, t % 2 == 1, heads, heads),
                        () => TensorCores(device, t, normalizer, normalize, strided: t % 2 == 1, heads, heads));
        // Values shared by groups of heads, as a GQA layer's are.
        int shared = small ? 130 : 1000;
        yield return One(TensorCoreName(shared, 16.0, true, true, heads, 2), () => TensorCores(device, shared, 16.0, normalize: true, strided: true, heads, valueHeads: 2));
    }

    static IEnumerable<KernelCheck.Case> TrainingCases(Device device, bool small)
    {
        foreach (var t in small ? new[] { 1, 100 } : new[] { 1, 100, 1000 })
            foreach (var normalizer in new[] { 0.1, 16.0 })
            {
                string name = $"training T={t} normalizer={normalizer}";
                yield return new KernelCheck.Case(name, () => Training(device, name, t, normalizer));
            }
    }

    /// <summary>
    /// A bf16 layer's training call through <see cref="KernelBackend"/> (fp32 leaves rounded to bf16 operands; 8 query heads
    /// sharing 2 value and gate heads; an initial state) against autograd through the recurrence on the rounded values:
    /// four rows: the outputs and final states, dq and dk, dv and dS0, dg (whose tolerance is wider: see below).
    /// </summary>
    static IEnumerable<KernelCheckRow> Training(Device device, string name, int t, double normalizer)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        manual_seed(t * 7 + (long)normalizer);
        long b = 2, h = 8, shared = 2, kd = 64, vd = 64;
        Tensor Rounded(Tensor x) => x.to(ScalarType.BFloat16).to(ScalarType.Float32);
        var inputs = new[]
        {
            Rounded(randn(b, h, t, kd, device: device).softmax(-1)), Rounded(randn(b, h, t, kd, device: device).softmax(-1)),
            Rounded(randn(b, shared, t, vd, device: device)), nn.functional.logsigmoid(randn(b, shared, t, kd, device: device)).Over(normalizer),
            rand(b, h, kd, vd + 1, device: device).Times(0.1),
        };
        var dy = randn(b, h, t, vd, device: device);
        var dFinal = randn(b, h, kd, vd + 1, device: device);
        Tensor[] Run(Func<Tensor[], (Tensor Y, Tensor S)> form)
        {
            var leaves = inputs.Select(x => x.detach().requires_grad_(true)).ToArray();
            var (y, s) = form(leaves);
            (y.to(ScalarType.Float32) * dy).sum().Plus((s * dFinal).sum()).backward();
            return new[] { y.detach(), s.detach() }.Concat(leaves.Select(x => x.grad!)).ToArray();
        }
        const double scale = 0.125, eps = 1e-10;
        var reference = Run(x => GatedLinearAttention.Normalized(x[0], x[1], x[2], x[3], scale, eps, x[4], GlaForm.Recurrent));
        var actual = Run(x => KernelBackend.Normalized(x[0], x[1], x[2], x[3], scale, eps, x[4], KernelPolicy.TensorCores, operands: ScalarType.BFloat16));
        // dg sums q⊙dq − k⊙dk from the end of the sequence: terms that nearly cancel, each with the bf16 operands' and TF32
        // products' rounding, so its error grows with the length (7.0e-3 at T = 1000 on an H200, 2.8e-3 at T = 100).
        var pairs = new[] { ("output / final state", 0, 1, 5e-3), ("dq / dk", 2, 3, 5e-3), ("dv / dS0", 4, 6, 5e-3), ("dg", 5, 5, 1e-2) };
        return pairs.Select(p => new KernelCheckRow($"{name}: {p.Item1}", KernelCheck.Rmse(reference[p.Item2], actual[p.Item2]),
            KernelCheck.Rmse(reference[p.Item3], actual[p.Item3]), p.Item4)).ToList();
    }

    static KernelCheck.Case One(string name, Func<KernelCheckRow> run) => new(name, () => new[] { run() });

    static Tensor[] Inputs(Device device, int b, int h, int t, int k, int v, double normalizer, long seed)
    {
        manual_seed(seed);
        return new[]
        {
            randn(b, h, t, k, device: device).Times(0.5), randn(b, h, t, k, device: device).Times(0.5), randn(b, h, t, v, device: device),
            nn.functional.logsigmoid(randn(b, h, t, k, device: device)).Over(normalizer), randn(b, h, k, v, device: device).Times(0.1),
        };
    }

    static KernelCheckRow Prefill(Device device, int k, int v, int t, double normalizer, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = Inputs(device, 2, 3, t, k, v, normalizer, t * 31 + k);
        var low = x.Take(3).Select(a => a.to(dtype)).ToArray();
        var (oRef, sRef) = GatedLinearAttention.Recurrent(low[0].to(ScalarType.Float32), low[1].to(ScalarType.Float32), low[2].to(ScalarType.Float32), x[3], 0.3, x[4]);
        var (o, s) = GlaCuda.Forward(low[0], low[1], low[2], x[3], 0.3, x[4]);
        double tol = dtype == ScalarType.Float32 ? 1e-5 : 5e-3;
        return new KernelCheckRow($"prefill K={k} V={v} T={t} normalizer={normalizer} {dtype}", KernelCheck.Rmse(oRef, o), KernelCheck.Rmse(sRef, s), tol);
    }

    /// <summary>
    /// The tensor-core prefill on LAWCAT's shapes: positive features, query heads sharing each of 2 gate heads (and
    /// value heads when <paramref name="valueHeads"/> is smaller than <paramref name="heads"/>), values of width 64 (+ the
    /// ones column when normalized), an initial state; strided cases use [B, T, H, D] views.
    /// </summary>
    static KernelCheckRow TensorCores(Device device, int t, double normalizer, bool normalize, bool strided, long heads, long valueHeads)
    {
        using var scope = NewDisposeScope();
        manual_seed(t * 13 + (normalize ? 1 : 0) + valueHeads);
        long b = 2, h = heads, hg = 2, kd = 64, vd = 64, vs = vd + (normalize ? 1 : 0);
        Tensor Input(long n, long width, bool feature)
        {
            var x = strided ? randn(b, t, n, width, device: device).transpose(1, 2) : randn(b, n, t, width, device: device);
            if (feature) x = x.softmax(-1);
            return strided ? x.transpose(1, 2).contiguous().to(ScalarType.BFloat16).transpose(1, 2) : x.to(ScalarType.BFloat16);
        }
        var (q, k, v) = (Input(h, kd, true), Input(h, kd, true), Input(valueHeads, vd, false));
        var g = nn.functional.logsigmoid(randn(b, hg, t, kd, device: device)).Over(normalizer);
        var s0 = rand(b, h, kd, vs, device: device).Times(0.1);
        double scale = 0.125, eps = 1e-10;
        var (q32, k32) = (q.to(ScalarType.Float32), k.to(ScalarType.Float32));
        var v32 = v.to(ScalarType.Float32).repeat_interleave(h / valueHeads, 1);
        var (oRef, sRef) = normalize
            ? GatedLinearAttention.Normalized(q32, k32, v32, g, scale, eps, s0, GlaForm.Recurrent)
            : GatedLinearAttention.Recurrent(q32, k32, v32, GatedLinearAttention.ExpandGate(g, q), scale, s0);
        var (y, s) = GlaMma.Forward(q, k, v, g, scale, s0, normalize ? eps : null);
        return new KernelCheckRow(TensorCoreName(t, normalizer, normalize, strided, heads, valueHeads), KernelCheck.Rmse(oRef, y), KernelCheck.Rmse(sRef, s), 5e-3);
    }

    static string TensorCoreName(int t, double normalizer, bool normalize, bool strided, long heads, long valueHeads) =>
        $"tensor cores {(normalize ? "normalized" : "plain")} T={t} normalizer={normalizer}{(strided ? " strided" : "")}{(valueHeads < heads ? $" {valueHeads} value heads" : "")}";

    static KernelCheckRow Decode(Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var x = Inputs(device, 2, 4, 120, 64, 65, 16, 7);
        var low = x.Take(3).Select(a => a.to(dtype)).ToArray();
        var (oRef, sRef) = GatedLinearAttention.Recurrent(low[0].to(ScalarType.Float32), low[1].to(ScalarType.Float32), low[2].to(ScalarType.Float32), x[3], 0.125, x[4]);
        var (pre, state) = GlaCuda.Forward(low[0][.., .., ..100], low[1][.., .., ..100], low[2][.., .., ..100], x[3][.., .., ..100], 0.125, x[4]);
        var outs = new List<Tensor> { pre };
        for (int i = 100; i < 120; i++)
        {
            var (o, s) = GlaCuda.Step(low[0][.., .., i..(i + 1)], low[1][.., .., i..(i + 1)], low[2][.., .., i..(i + 1)], x[3][.., .., i..(i + 1)], 0.125, state);
            outs.Add(o);
            state = s;
        }
        double tol = dtype == ScalarType.Float32 ? 1e-5 : 5e-3;
        return new KernelCheckRow($"prefill 100 + 20 decode steps {dtype}", KernelCheck.Rmse(oRef, cat(outs, 2)), KernelCheck.Rmse(sRef, state), tol);
    }
}
