using System.Diagnostics;
using System.Runtime.InteropServices;
using Lawcat.Attention;
using Lawcat.Kernels;
using Lawcat.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Benchmarks;

/// <summary>One benchmark measurement.</summary>
/// <param name="Method">What ran (sdpa, lawcat-op, layer-gemms, softmax-layer, lawcat-layer; -decode for one token after a context).</param>
/// <param name="Pass">forward or forward+backward.</param>
/// <param name="Length">Sequence (or context) length.</param>
/// <param name="Milliseconds">Median time per call.</param>
/// <param name="PeakBytes">Device memory high-water of the process after this measurement (null on CPU).</param>
/// <param name="Error">Set when the call failed (e.g. out of memory).</param>
public sealed record BenchResult(string Method, string Pass, int Length, double Milliseconds, long? PeakBytes, string? Error = null);

/// <summary>Settings of <see cref="AttentionBenchmark"/>.</summary>
/// <param name="Lengths">Sequence lengths, ascending.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="KvHeads">Key/value heads (layer benchmarks).</param>
/// <param name="HeadDim">Head width.</param>
/// <param name="Methods">Which methods to run.</param>
/// <param name="Backward">Also time forward+backward.</param>
/// <param name="Warmup">Untimed calls first.</param>
/// <param name="Iterations">Timed calls (the median is reported).</param>
/// <param name="Batch">Sequences per prefill call (decoding steps always take one).</param>
public sealed record AttentionBenchmarkOptions(int[] Lengths, int Heads = 32, int KvHeads = 8, int HeadDim = 64,
    string[]? Methods = null, bool Backward = true, int Warmup = 2, int Iterations = 5, int Batch = 1);

/// <summary>
/// Prefill latency of softmax attention (libtorch SDPA, the FlashAttention path on CUDA) against LAWCAT's chunked
/// gated linear attention, as the bare op and as a whole attention layer with Llama-3.2-1B's projection shapes, plus
/// one decoding step after a context of each length. Prefill takes <see cref="AttentionBenchmarkOptions.Batch"/> sequences
/// (a training batch, say), decoding one. LAWCAT runs where the process's kernel policy says
/// (<see cref="KernelPolicies.Default"/>, the CLI's --kernels); "lawcat-op-tensor" is the same op in tensor operations
/// (the fallback and training path).
/// </summary>
public static class AttentionBenchmark
{
    /// <summary>All methods.</summary>
    public static readonly string[] AllMethods = { "sdpa", "lawcat-op", "lawcat-op-tensor", "layer-gemms", "softmax-layer", "lawcat-layer", "sdpa-decode", "lawcat-decode", "softmax-layer-decode", "lawcat-layer-decode" };

    /// <summary>
    /// Runs every method at every length; failures (e.g. out of memory) are recorded, not thrown. After a fault that loses
    /// the CUDA context (a kernel's illegal or misaligned access) nothing more can run: that row records the fault and the
    /// run stops.
    /// </summary>
    public static List<BenchResult> Run(AttentionBenchmarkOptions o, Device device, ScalarType dtype, Action<BenchResult>? onResult = null)
    {
        long baseline = GpuMemory.UsedBytes() ?? 0;
        var results = new List<BenchResult>();
        foreach (var method in o.Methods ?? AllMethods)
            foreach (var t in o.Lengths)
                foreach (var backward in method.EndsWith("decode") || !o.Backward ? new[] { false } : new[] { false, true })
                {
                    BenchResult r;
                    bool lost = false;
                    try
                    {
                        double ms = Measure(method, t, backward, o, device, dtype);
                        long? peak = device.type == DeviceType.CUDA ? GpuMemory.UsedBytes() - baseline : null;
                        r = new BenchResult(method, backward ? "forward+backward" : "forward", t, ms, peak);
                    }
                    catch (Exception e) when (e is ExternalException or OutOfMemoryException or Kernels.Cuda.KernelFaultException)
                    {
                        r = new BenchResult(method, backward ? "forward+backward" : "forward", t, double.NaN, null, e.Message.Split('\n')[0]);
                        lost = KernelCheck.LosesContext(e);
                    }
                    results.Add(r);
                    onResult?.Invoke(r);
                    if (lost) return results;
                }
        return results;
    }

    static double Measure(string method, int t, bool backward, AttentionBenchmarkOptions o, Device device, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        Func<Tensor> call = method switch
        {
            "sdpa" => Sdpa(t, o, device, dtype, backward),
            "lawcat-op" => LawcatOp(t, o, device, dtype, backward, KernelPolicies.Default),
            "lawcat-op-tensor" => LawcatOp(t, o, device, dtype, backward, KernelPolicy.TensorOnly),
            "layer-gemms" => LayerGemms(t, o, device, dtype),
            "softmax-layer" or "lawcat-layer" => Layer(method, t, o, device, dtype, backward),
            "sdpa-decode" => SdpaDecode(t, o, device, dtype),
            "lawcat-decode" => LawcatDecode(o, device, dtype),
            "softmax-layer-decode" or "lawcat-layer-decode" => LayerDecode(method, t, o, device, dtype),
            _ => throw new LawcatException($"unknown benchmark method '{method}'; known: {string.Join(", ", AllMethods)}."),
        };
        return Time(call, device, o.Warmup, o.Iterations);
    }

    /// <summary>Median milliseconds of <paramref name="call"/> (synchronized on CUDA).</summary>
    public static double Time(Func<Tensor> call, Device device, int warmup, int iterations)
    {
        void Sync() { if (device.type == DeviceType.CUDA) cuda.synchronize(); }
        for (int i = 0; i < warmup; i++) using (NewDisposeScope()) call();
        Sync();
        var times = new List<double>();
        for (int i = 0; i < iterations; i++)
        {
            using var scope = NewDisposeScope();
            var sw = Stopwatch.StartNew();
            call();
            Sync();
            times.Add(sw.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        return times[times.Count / 2];
    }

    static Tensor Leaf(long[] shape, Device device, ScalarType dtype, bool grad) =>
        randn(shape, dtype: dtype, device: device).requires_grad_(grad);

    static Func<Tensor> Sdpa(int t, AttentionBenchmarkOptions o, Device device, ScalarType dtype, bool backward)
    {
        var shape = new long[] { o.Batch, o.Heads, t, o.HeadDim };
        var (q, k, v) = (Leaf(shape, device, dtype, backward), Leaf(shape, device, dtype, backward), Leaf(shape, device, dtype, backward));
        return () =>
        {
            var y = nn.functional.scaled_dot_product_attention(q, k, v, is_casual: true);
            if (backward) y.sum().backward();
            return y;
        };
    }

    /// <summary>
    /// LAWCAT's normalized gated linear attention on its own shapes: positive features, values with the denominator
    /// carried through the recurrence, one gate per key/value head shared by its query heads.
    /// </summary>
    static Func<Tensor> LawcatOp(int t, AttentionBenchmarkOptions o, Device device, ScalarType dtype, bool backward, KernelPolicy policy)
    {
        var shape = new long[] { o.Batch, o.Heads, t, o.HeadDim };
        var q = randn(shape, device: device).softmax(-1).to(dtype).requires_grad_(backward);
        var k = randn(shape, device: device).softmax(-1).to(dtype).requires_grad_(backward);
        var v = randn(shape, dtype: dtype, device: device).requires_grad_(backward);
        var g = nn.functional.logsigmoid(randn(new long[] { o.Batch, o.KvHeads, t, o.HeadDim }, device: device)).Over(16).requires_grad_(backward);
        double scale = 1.0 / Math.Sqrt(o.HeadDim);
        return () =>
        {
            var (y, _) = KernelBackend.Normalized(q, k, v, g, scale, 1e-10, null, policy);
            if (backward) y.to(ScalarType.Float32).sum().backward();
            return y;
        };
    }

    static DecoderAttention NewLayer(string method, AttentionBenchmarkOptions o, Device device, ScalarType dtype, out LlamaConfig config)
    {
        config = LlamaConfig.Llama32_1B with { NumAttentionHeads = o.Heads, NumKeyValueHeads = o.KvHeads, HeadDim = o.HeadDim, HiddenSize = o.Heads * o.HeadDim };
        DecoderAttention layer = new SoftmaxAttention(config, 0, device, dtype);
        return method.StartsWith("lawcat") ? new LawcatAttention(config, LawcatOptions.Default, 0, layer.Projections, device, ScalarType.Float32) : layer;
    }

    static AttentionContext Context(RotaryEmbedding rotary, long start, long t, Device device, ScalarType dtype, InferenceCache? cache)
    {
        var pos = TensorNumbers.Arange(start, start + t, device).unsqueeze(0);
        var (cos, sin) = rotary.Forward(pos, dtype);
        return new AttentionContext { PositionIds = pos, Cos = cos, Sin = sin, PastLength = start, Cache = cache };
    }

    /// <summary>One token through a layer whose cache (KV or LAWCAT state) holds a context of <paramref name="t"/> tokens.</summary>
    static Func<Tensor> LayerDecode(string method, int t, AttentionBenchmarkOptions o, Device device, ScalarType dtype)
    {
        var layer = NewLayer(method, o, device, dtype, out var config);
        var rotary = new RotaryEmbedding(config);
        var cache = new InferenceCache(1);
        using (no_grad())
            layer.forward(randn(new long[] { 1, t, config.HiddenSize }, dtype: dtype, device: device), Context(rotary, 0, t, device, dtype, cache));
        var x = randn(new long[] { 1, 1, config.HiddenSize }, dtype: dtype, device: device);
        var ctx = Context(rotary, t, 1, device, dtype, null);
        var kv = cache[0] as KvCache;
        return () =>
        {
            using var _ = no_grad();
            var y = layer.forward(x, new AttentionContext { PositionIds = ctx.PositionIds, Cos = ctx.Cos, Sin = ctx.Sin, PastLength = t, Cache = cache });
            kv?.Truncate(t);   // every call sees the same context of t keys
            return y;
        };
    }

    static Func<Tensor> Layer(string method, int t, AttentionBenchmarkOptions o, Device device, ScalarType dtype, bool backward)
    {
        var layer = NewLayer(method, o, device, dtype, out var config);
        var rotary = new RotaryEmbedding(config);
        foreach (var p in layer.parameters()) p.requires_grad = method == "lawcat-layer" && backward && p.dtype == ScalarType.Float32;
        var x = randn(new long[] { o.Batch, t, config.HiddenSize }, dtype: dtype, device: device).requires_grad_(backward && method == "softmax-layer");
        var ctx = Context(rotary, 0, t, device, dtype, null);
        return () =>
        {
            var y = layer.forward(x, ctx);
            if (backward) y.to(ScalarType.Float32).sum().backward();
            return y;
        };
    }

    /// <summary>The layer's four projection GEMMs alone (q, k, v in; o out), what a layer costs besides its attention op.</summary>
    static Func<Tensor> LayerGemms(int t, AttentionBenchmarkOptions o, Device device, ScalarType dtype)
    {
        var layer = NewLayer("softmax-layer", o, device, dtype, out var config);
        var p = layer.Projections;
        var x = randn(new long[] { o.Batch, t, config.HiddenSize }, dtype: dtype, device: device);
        return () =>
        {
            using var _ = no_grad();
            p.Q.forward(x);
            p.K.forward(x);
            p.V.forward(x);
            return p.O.forward(x);
        };
    }

    static Func<Tensor> SdpaDecode(int t, AttentionBenchmarkOptions o, Device device, ScalarType dtype)
    {
        var q = randn(new long[] { 1, o.Heads, 1, o.HeadDim }, dtype: dtype, device: device);
        var k = randn(new long[] { 1, o.Heads, t, o.HeadDim }, dtype: dtype, device: device);
        var v = randn(new long[] { 1, o.Heads, t, o.HeadDim }, dtype: dtype, device: device);
        return () => nn.functional.scaled_dot_product_attention(q, k, v);
    }

    static Func<Tensor> LawcatDecode(AttentionBenchmarkOptions o, Device device, ScalarType dtype)
    {
        var shape = new long[] { 1, o.Heads, 1, o.HeadDim };
        var q = randn(shape, dtype: dtype, device: device).softmax(-1);
        var k = randn(shape, dtype: dtype, device: device).softmax(-1);
        var v = randn(shape, dtype: dtype, device: device);
        var g = nn.functional.logsigmoid(randn(new long[] { 1, o.KvHeads, 1, o.HeadDim }, device: device)).Over(16);
        var s = randn(new long[] { 1, o.Heads, o.HeadDim, o.HeadDim + 1 }, device: device);
        double scale = 1.0 / Math.Sqrt(o.HeadDim);
        return () => KernelBackend.NormalizedStep(q, k, v, g, scale, 1e-10, s, KernelPolicies.Default).Output;
    }
}
