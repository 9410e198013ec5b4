using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Lawcat.Attention;
using Lawcat.Llama;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Conversion;

/// <summary>What a conversion did.</summary>
/// <param name="ConvertedLayers">Layers now running LAWCAT attention.</param>
/// <param name="SoftmaxLayers">Layers kept as softmax attention.</param>
/// <param name="NewParameters">Number of parameters LAWCAT added (the trainable ones).</param>
/// <param name="TotalParameters">Number of parameters of the converted model.</param>
/// <param name="NewParametersByKind">New parameters grouped by module kind (q_conv1d, feature_map, gate, ...).</param>
public sealed record ConversionReport(IReadOnlyList<int> ConvertedLayers, IReadOnlyList<int> SoftmaxLayers, long NewParameters,
    long TotalParameters, IReadOnlyDictionary<string, long> NewParametersByKind);

/// <summary>
/// Turns a softmax Llama into a LAWCAT student: the attention of each chosen layer is swapped for
/// <see cref="LawcatAttention"/> that reuses the teacher's q/k/v/o weights as they are (docs/lawcat.md §1.4); everything but the
/// new LAWCAT parameters is frozen.
/// </summary>
public static class LawcatConversion
{
    /// <summary>
    /// Converts every layer except <paramref name="keepSoftmax"/>. New parameters are created in
    /// <paramref name="parameterDtype"/> (default fp32, so small LAWCAT parameters train precisely under a bf16 teacher).
    /// </summary>
    public static ConversionReport Convert(LlamaModel model, LawcatOptions? options = null, IEnumerable<int>? keepSoftmax = null,
        ScalarType parameterDtype = ScalarType.Float32)
    {
        options = (options ?? LawcatOptions.Default).Validate();
        int n = model.Config.NumHiddenLayers;
        var keep = (keepSoftmax ?? Array.Empty<int>()).ToHashSet();
        var bad = keep.Where(i => i < 0 || i >= n).ToList();
        if (bad.Count > 0) throw new LawcatException($"softmax layers to keep: {string.Join(", ", bad)} out of range; the model has layers 0..{n - 1}.");
        foreach (var p in model.parameters()) p.requires_grad = false;
        var converted = new List<int>();
        for (int i = 0; i < n; i++)
        {
            if (keep.Contains(i)) continue;
            if (model.Layers[i].Attention is not SoftmaxAttention teacher)
                throw new LawcatException($"layer {i} is already converted ({model.Layers[i].Attention.GetType().Name}).");
            var student = new LawcatAttention(model.Config, options, i, teacher.Projections, model.Device, parameterDtype);
            model.ReplaceAttention(i, student);
            converted.Add(i);
        }
        var fresh = NewParameters(model).ToList();
        foreach (var (_, p) in fresh) p.requires_grad = true;
        var byKind = fresh.GroupBy(p => p.Name.Split('.')[4]).ToDictionary(g => g.Key, g => g.Sum(p => p.Parameter.numel()));
        return new ConversionReport(converted, keep.OrderBy(i => i).ToList(), fresh.Sum(p => p.Parameter.numel()),
            model.parameters().Sum(p => p.numel()), byKind);
    }

    /// <summary>Key of the section a student's config.json carries so <see cref="StudentFolder.Load"/> rebuilds it.</summary>
    public const string ConfigSection = "lawcat";

    static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>The config.json section describing a converted model: its LAWCAT options and the layers kept as softmax.</summary>
    public static JsonObject ToConfigSection(LlamaModel model)
    {
        var layers = LawcatLayers(model).ToList();
        if (layers.Count == 0) throw new LawcatException("the model has no LAWCAT layers to describe.");
        return new JsonObject
        {
            ["options"] = JsonSerializer.SerializeToNode(layers[0].Options, Json),
            ["softmax_layers"] = new JsonArray(model.Layers.Where(l => l.Attention is SoftmaxAttention).Select(l => (JsonNode?)l.Attention.LayerIndex).ToArray()),
        };
    }

    /// <summary>Converts <paramref name="model"/> as a config.json <c>lawcat</c> section says; <paramref name="source"/> names it in errors.</summary>
    public static ConversionReport FromConfigSection(LlamaModel model, JsonObject section, string source)
    {
        try
        {
            var options = section["options"]!.Deserialize<LawcatOptions>(Json)!;
            var keep = section["softmax_layers"]?.AsArray().Select(x => x!.GetValue<int>()).ToArray() ?? Array.Empty<int>();
            return Convert(model, options, keep);
        }
        catch (Exception e) when (e is JsonException or NullReferenceException or InvalidOperationException)
        {
            throw new LawcatException($"{source}: invalid '{ConfigSection}' section: {e.Message}");
        }
    }

    /// <summary>The LAWCAT layers of a converted model.</summary>
    public static IEnumerable<LawcatAttention> LawcatLayers(LlamaModel model) => model.Layers.Select(l => l.Attention).OfType<LawcatAttention>();

    /// <summary>LAWCAT's new parameters with their full state-dict names.</summary>
    public static IEnumerable<(string Name, Parameter Parameter)> NewParameters(LlamaModel model) =>
        LawcatLayers(model).SelectMany(l => l.NewParameters().Select(p => ($"model.layers.{l.LayerIndex}.self_attn.{p.Name}", p.Parameter)));

    /// <summary>Sets the mode of every LAWCAT layer.</summary>
    public static void SetMode(LlamaModel model, LawcatMode mode)
    {
        foreach (var l in LawcatLayers(model)) l.Mode = mode;
    }

    /// <summary>
    /// Sets the mode of every LAWCAT layer until the returned scope is disposed, which gives each layer back the mode
    /// it had: <c>using var _ = LawcatConversion.ModeScope(model, LawcatMode.Student);</c>.
    /// </summary>
    public static IDisposable ModeScope(LlamaModel model, LawcatMode mode)
    {
        var previous = LawcatLayers(model).Select(l => (Layer: l, l.Mode)).ToList();
        SetMode(model, mode);
        return new RestoreModes(previous);
    }

    sealed class RestoreModes(List<(LawcatAttention Layer, LawcatMode Mode)> previous) : IDisposable
    {
        public void Dispose()
        {
            foreach (var (layer, mode) in previous) layer.Mode = mode;
        }
    }
}
