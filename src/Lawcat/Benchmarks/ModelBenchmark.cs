using System.Diagnostics;
using Lawcat.Llama;
using TorchSharp;
using static TorchSharp.torch;

namespace Lawcat.Benchmarks;

/// <summary>Agreement of two logit tensors [B, T, V].</summary>
/// <param name="MaxAbsDiff">max |ours − reference|.</param>
/// <param name="MeanAbsDiff">mean |ours − reference|.</param>
/// <param name="Top1Agreement">Share of positions whose argmax agrees.</param>
/// <param name="ReferenceScale">max |reference|, to read the differences against.</param>
public sealed record LogitAgreement(double MaxAbsDiff, double MeanAbsDiff, double Top1Agreement, double ReferenceScale);

/// <summary>Whole-model speed: prefill latency, decode time per token after a context, and logit agreement.</summary>
public static class ModelBenchmark
{
    /// <summary>Median milliseconds of a prefill of <paramref name="length"/> random tokens (logits of the last position only).</summary>
    public static double PrefillMs(LlamaModel model, int length, int warmup = 1, int iterations = 3)
    {
        using var scope = NewDisposeScope();
        manual_seed(0);
        var ids = randint(0, model.Config.VocabSize, new long[] { 1, length }, device: model.Device);
        return AttentionBenchmark.Time(() =>
        {
            using var _ = no_grad();
            return model.Forward(ids, lastOnly: true);
        }, model.Device, warmup, iterations);
    }

    /// <summary>
    /// Milliseconds per decoded token after a prefill of <paramref name="context"/> tokens: the teacher attends over its
    /// KV cache, a LAWCAT student updates its constant-size state. Mean over <paramref name="tokens"/> greedy steps after
    /// three untimed ones.
    /// </summary>
    public static double DecodeMsPerToken(LlamaModel model, int context, int tokens = 32)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var cache = model.NewCache();
        var ids = randint(0, model.Config.VocabSize, new long[] { 1, context }, device: model.Device);
        var next = model.Forward(ids, cache: cache, lastOnly: true).argmax(-1);         // [1, 1]
        for (int i = 0; i < 3; i++) next = model.Forward(next, cache: cache, lastOnly: true).argmax(-1);   // warm-up: first-call setup, cache growth
        Sync(model.Device);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < tokens; i++)
        {
            using var step = NewDisposeScope();
            next = model.Forward(next, cache: cache, lastOnly: true).argmax(-1).MoveToOuterDisposeScope();
        }
        Sync(model.Device);
        return sw.Elapsed.TotalMilliseconds / tokens;
    }

    /// <summary>
    /// Where a decoding step's time goes after a context of <paramref name="context"/> tokens: milliseconds per token for
    /// embedding + rotary tables, the decoder layers, and final norm + output head, each synchronized on CUDA.
    /// </summary>
    public static Dictionary<string, double> DecodeProfile(LlamaModel model, int context, int tokens = 16)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        manual_seed(0);
        using var cache = model.NewCache();
        var next = model.Forward(randint(0, model.Config.VocabSize, new long[] { 1, context }, device: model.Device), cache: cache, lastOnly: true).argmax(-1);
        var parts = new Dictionary<string, double> { ["embed+rope"] = 0, ["layers"] = 0, ["head"] = 0 };
        var sw = new Stopwatch();
        double Lap()
        {
            Sync(model.Device);
            double ms = sw.Elapsed.TotalMilliseconds;
            sw.Restart();
            return ms;
        }
        for (int i = 0; i < tokens; i++)
        {
            using var step = NewDisposeScope();
            Sync(model.Device);
            sw.Restart();
            long past = cache.SeenTokens;
            var positions = TensorNumbers.Arange(past, past + 1, model.Device).unsqueeze(0);
            var h = model.Transformer.Embedding.forward(next);
            var (cos, sin) = model.Rotary.Forward(positions, h.dtype);
            var ctx = new AttentionContext { PositionIds = positions, Cos = cos, Sin = sin, PastLength = past, Cache = cache };
            parts["embed+rope"] += Lap();
            foreach (var layer in model.Layers) h = layer.forward(h, ctx);
            parts["layers"] += Lap();
            var logits = nn.functional.linear(model.Transformer.FinalNorm.forward(h), model.Transformer.Embedding.weight!);
            next = logits.argmax(-1).MoveToOuterDisposeScope();
            parts["head"] += Lap();
            cache.Advance(1, null);
        }
        return parts.ToDictionary(kv => kv.Key, kv => kv.Value / tokens);
    }

    /// <summary>How closely <paramref name="ours"/> matches <paramref name="reference"/> (both [B, T, V]).</summary>
    public static LogitAgreement Compare(Tensor reference, Tensor ours)
    {
        using var scope = NewDisposeScope();
        var r = reference.to(ScalarType.Float32).cpu();
        var o = ours.to(ScalarType.Float32).cpu();
        var d = (o - r).abs();
        var top1 = (o.argmax(-1) == r.argmax(-1)).to(ScalarType.Float32).mean();
        return new LogitAgreement(d.max().item<float>(), d.mean().item<float>(), top1.item<float>(), r.abs().max().item<float>());
    }

    static void Sync(Device device)
    {
        if (device.type == DeviceType.CUDA) cuda.synchronize();
    }
}
