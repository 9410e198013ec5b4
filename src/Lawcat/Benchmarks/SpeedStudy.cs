using Lawcat.IO;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Benchmarks;

/// <summary>Whole-model speed and decoding memory of one model at one context length.</summary>
/// <param name="Model">Which model ("teacher", "student").</param>
/// <param name="Length">Prompt (context) length in tokens.</param>
/// <param name="PrefillMs">Median milliseconds of a prefill of <paramref name="Length"/> tokens.</param>
/// <param name="DecodeMsPerToken">Milliseconds per greedy token after that prefill.</param>
/// <param name="CacheBytes">Bytes the decoding cache holds after the prefill: the KV cache (as allocated) for softmax
/// layers, the constant-size state (recurrent state with its denominator column, conv tails) for LAWCAT layers.</param>
public sealed record ModelSpeed(string Model, int Length, double PrefillMs, double DecodeMsPerToken, long CacheBytes);

/// <summary>
/// Softmax teacher against LAWCAT student as whole models: prefill latency, decode time per token and the memory the
/// decoding cache needs, per context length (<see cref="ModelBenchmark"/> does the timing); and tables of those and of
/// the attention-only benchmark (<see cref="AttentionBenchmark"/>).
/// </summary>
public static class SpeedStudy
{
    /// <summary>Measures every model at every length, shortest first.</summary>
    public static List<ModelSpeed> Measure(IReadOnlyList<(string Name, LlamaModel Model)> models, IReadOnlyList<int> lengths,
        int decodeTokens = 16, int warmup = 1, int iterations = 3)
    {
        var results = new List<ModelSpeed>();
        foreach (var (name, model) in models)
            foreach (var t in lengths.Order())
                results.Add(new ModelSpeed(name, t, ModelBenchmark.PrefillMs(model, t, warmup, iterations),
                    ModelBenchmark.DecodeMsPerToken(model, t, decodeTokens), CacheBytes(model, t)));
        return results;
    }

    /// <summary>Bytes of the decoding cache after a prefill of <paramref name="context"/> random tokens.</summary>
    public static long CacheBytes(LlamaModel model, int context)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        using var cache = model.NewCache();
        manual_seed(0);
        model.Forward(randint(0, model.Config.VocabSize, new long[] { 1, context }, device: model.Device), cache: cache, lastOnly: true);
        return cache.Bytes;
    }

    /// <summary>The measurements as a table, one row per model and length.</summary>
    public static ResultTable Table(IReadOnlyList<ModelSpeed> results) => new(
        TableColumn.Of("model", results.Select(r => r.Model)),
        TableColumn.Of("length", results.Select(r => r.Length)),
        TableColumn.Of("prefill_ms", results.Select(r => r.PrefillMs)),
        TableColumn.Of("prefill_tokens_per_s", results.Select(r => r.Length / (r.PrefillMs / 1000))),
        TableColumn.Of("decode_ms_per_token", results.Select(r => r.DecodeMsPerToken)),
        TableColumn.Of("cache_mib", results.Select(r => r.CacheBytes / (1024.0 * 1024))));

    /// <summary>Attention benchmark results as a table.</summary>
    public static ResultTable Table(IReadOnlyList<BenchResult> results) => new(
        TableColumn.Of("method", results.Select(r => r.Method)),
        TableColumn.Of("pass", results.Select(r => r.Pass)),
        TableColumn.Of("length", results.Select(r => r.Length)),
        TableColumn.Of("ms", results.Select(r => r.Error is null ? r.Milliseconds : (double?)null)),
        TableColumn.Of("peak_mib", results.Select(r => r.PeakBytes is long b ? b / (1024.0 * 1024) : (double?)null)),
        TableColumn.Of("error", results.Select(r => r.Error ?? "")));
}
