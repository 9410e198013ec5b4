using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Lawcat.Llama;

/// <summary>How rotary position frequencies are rescaled for long contexts (HF <c>rope_scaling</c>).</summary>
/// <param name="RopeType"><c>default</c>, <c>linear</c> or <c>llama3</c>.</param>
/// <param name="Factor">Context extension factor (linear, llama3).</param>
/// <param name="LowFreqFactor">llama3: wavelengths above original/low are divided by <paramref name="Factor"/>.</param>
/// <param name="HighFreqFactor">llama3: wavelengths below original/high are kept.</param>
/// <param name="OriginalMaxPositionEmbeddings">llama3: the context length the model was pretrained on.</param>
public sealed record RopeScaling(string RopeType = "default", double Factor = 1.0, double LowFreqFactor = 1.0,
    double HighFreqFactor = 4.0, int OriginalMaxPositionEmbeddings = 8192);

/// <summary>
/// The architecture of a Llama model, as in a Hugging Face <c>config.json</c>. Defaults are Llama-3.2-1B's.
/// Reads both the classic keys (<c>rope_theta</c>, <c>rope_scaling</c>, <c>torch_dtype</c>) and the
/// transformers 5 ones (<c>rope_parameters</c>, <c>dtype</c>).
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>Width of the residual stream.</summary>
    public int HiddenSize { get; init; } = 2048;
    /// <summary>Width of the SwiGLU MLP.</summary>
    public int IntermediateSize { get; init; } = 8192;
    /// <summary>Number of decoder layers.</summary>
    public int NumHiddenLayers { get; init; } = 16;
    /// <summary>Number of query heads.</summary>
    public int NumAttentionHeads { get; init; } = 32;
    /// <summary>Number of key/value heads (grouped-query attention when fewer than query heads).</summary>
    public int NumKeyValueHeads { get; init; } = 8;
    /// <summary>Width of one head (explicit in the config, or hidden_size / heads).</summary>
    public int HeadDim { get; init; } = 64;
    /// <summary>Epsilon of the RMSNorms.</summary>
    public double RmsNormEps { get; init; } = 1e-5;
    /// <summary>Base of the rotary frequencies.</summary>
    public double RopeTheta { get; init; } = 500000.0;
    /// <summary>Rotary frequency rescaling.</summary>
    public RopeScaling RopeScaling { get; init; } = new("llama3", 32.0, 1.0, 4.0, 8192);
    /// <summary>Longest context the model was configured for.</summary>
    public int MaxPositionEmbeddings { get; init; } = 131072;
    /// <summary>Vocabulary size.</summary>
    public int VocabSize { get; init; } = 128256;
    /// <summary>Whether the output head reuses the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; } = true;
    /// <summary>Whether q/k/v/o projections have biases.</summary>
    public bool AttentionBias { get; init; }
    /// <summary>Whether the MLP projections have biases.</summary>
    public bool MlpBias { get; init; }
    /// <summary>Beginning-of-sequence token id.</summary>
    public int BosTokenId { get; init; } = 128000;
    /// <summary>End-of-sequence token ids (generation stops at any of them).</summary>
    public int[] EosTokenIds { get; init; } = { 128001 };
    /// <summary>The dtype the weights were saved in (<c>float32</c>, <c>bfloat16</c>, <c>float16</c>).</summary>
    public string TorchDtype { get; init; } = "bfloat16";

    /// <summary>Value equality, with the eos ids compared element by element.</summary>
    public bool Equals(LlamaConfig? other) =>
        other is not null && ToJson() == other.ToJson();

    /// <inheritdoc/>
    public override int GetHashCode() => ToJson().GetHashCode();

    /// <summary>Query heads per key/value head.</summary>
    public int GroupSize => NumAttentionHeads / NumKeyValueHeads;

    /// <summary>Llama-3.2-1B's published architecture.</summary>
    public static LlamaConfig Llama32_1B { get; } = new();

    /// <summary>Number of parameters (embedding counted once when tied).</summary>
    public long ParameterCount()
    {
        long d = HiddenSize, q = (long)NumAttentionHeads * HeadDim, kv = (long)NumKeyValueHeads * HeadDim;
        long attn = d * q + 2 * d * kv + q * d + (AttentionBias ? q + 2 * kv + d : 0);
        long mlp = 3 * d * IntermediateSize + (MlpBias ? 2 * IntermediateSize + d : 0);
        long layer = attn + mlp + 2 * d;
        return NumHiddenLayers * layer + d + (long)VocabSize * d * (TieWordEmbeddings ? 1 : 2);
    }

    /// <summary>
    /// Reads <c>config.json</c> from a model folder (or the file itself). With <paramref name="extension"/>, folders of
    /// its <see cref="IModelFolderExtension.ModelType"/> are accepted too.
    /// </summary>
    public static LlamaConfig FromFile(string path, IModelFolderExtension? extension = null)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file)) throw new LawcatException($"{file}: not found; a model folder needs the config.json saved with the weights.");
        var bytes = File.ReadAllBytes(file).AsMemory();
        if (bytes.Span.StartsWith(Utf8Bom)) bytes = bytes[Utf8Bom.Length..];
        IO.StrictUtf8.Check(bytes.Span, file);
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new LawcatException($"{file}: expected a JSON object of model settings.");
            if (IO.JsonDuplicateKeys.First(doc.RootElement) is { } key)
                throw new LawcatException($"{file}: the key '{key}' appears twice; each setting must be given once.");
        }
        catch (JsonException e) { throw new LawcatException($"{file}: not valid JSON: {e.Message}"); }
        return FromJson(JsonNode.Parse(bytes.Span)!.AsObject(), file, extension);
    }

    static readonly byte[] Utf8Bom = { 0xEF, 0xBB, 0xBF };

    /// <summary>
    /// Builds a config from a parsed <c>config.json</c>; <paramref name="source"/> names it in errors. With
    /// <paramref name="extension"/>, its <see cref="IModelFolderExtension.ModelType"/> is accepted too.
    /// </summary>
    public static LlamaConfig FromJson(JsonObject o, string source, IModelFolderExtension? extension = null)
    {
        var r = new Reader(o, source);
        var modelType = r.Str("model_type", "llama");
        if (extension is not null && modelType == extension.ModelType)
            extension.CheckConfig(o, source);
        else if (modelType != "llama")
            throw new LawcatException($"{source}: model_type is '{modelType}'; expected 'llama'"
                + (extension is null ? "." : $" (or '{extension.ModelType}')."));
        var act = r.Str("hidden_act", "silu");
        if (act != "silu") throw new LawcatException($"{source}: hidden_act is '{act}'; only 'silu' (SwiGLU) is supported.");
        int hidden = r.PositiveInt("hidden_size"), heads = r.PositiveInt("num_attention_heads");
        int kvHeads = r.PositiveInt("num_key_value_heads", heads);
        if (o["head_dim"] is null && hidden % heads != 0)
            throw new LawcatException($"{source}: hidden_size {hidden} is not divisible by num_attention_heads {heads} and there is no head_dim; expected hidden_size = num_attention_heads × head_dim, or an explicit head_dim.");
        int headDim = r.PositiveInt("head_dim", hidden / heads);
        if (headDim % 2 != 0)
            throw new LawcatException($"{source}: head_dim is {headDim}; rotary embeddings need an even head_dim.");
        if (heads % kvHeads != 0)
            throw new LawcatException($"{source}: num_key_value_heads {kvHeads} must divide num_attention_heads {heads}.");

        var rope = o["rope_parameters"] as JsonObject;
        var scalingNode = rope ?? o["rope_scaling"] as JsonObject;
        double theta = rope != null ? new Reader(rope, source, "rope_parameters.").PositiveDbl("rope_theta", 10000.0) : r.PositiveDbl("rope_theta", 10000.0);
        var scaling = ParseScaling(scalingNode, source, rope != null ? "rope_parameters" : "rope_scaling");

        return new LlamaConfig
        {
            HiddenSize = hidden,
            IntermediateSize = r.PositiveInt("intermediate_size"),
            NumHiddenLayers = r.PositiveInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = kvHeads,
            HeadDim = headDim,
            RmsNormEps = r.Dbl("rms_norm_eps", 1e-6, x => x >= 0 && double.IsFinite(x), "a finite number >= 0"),
            RopeTheta = theta,
            RopeScaling = scaling,
            MaxPositionEmbeddings = r.PositiveInt("max_position_embeddings", 2048),
            VocabSize = r.PositiveInt("vocab_size"),
            TieWordEmbeddings = r.Bool("tie_word_embeddings", false),
            AttentionBias = r.Bool("attention_bias", false),
            MlpBias = r.Bool("mlp_bias", false),
            BosTokenId = r.Int("bos_token_id", 1),
            EosTokenIds = r.IntOrList("eos_token_id", new[] { 2 }),
            TorchDtype = r.Str("torch_dtype", r.Str("dtype", "float32")),
        };
    }

    static RopeScaling ParseScaling(JsonObject? s, string source, string key)
    {
        if (s == null) return new RopeScaling();
        var r = new Reader(s, source, key + ".");
        var type = r.Str("rope_type", r.Str("type", "default"));
        return type switch
        {
            "default" => new RopeScaling(),
            "linear" => new RopeScaling("linear", r.PositiveDbl("factor")),
            "llama3" => Llama3Scaling(r, source, key),
            _ => throw new LawcatException($"{source}: {key}.rope_type is '{type}'; supported: default, linear, llama3."),
        };
    }

    static RopeScaling Llama3Scaling(Reader r, string source, string key)
    {
        double low = r.PositiveDbl("low_freq_factor"), high = r.PositiveDbl("high_freq_factor");
        // The smooth interpolation between the two wavelength bounds divides by high - low.
        if (high <= low)
            throw new LawcatException($"{source}: {key}.high_freq_factor {high.ToString(CultureInfo.InvariantCulture)} must be greater than low_freq_factor {low.ToString(CultureInfo.InvariantCulture)}.");
        return new RopeScaling("llama3", r.PositiveDbl("factor"), low, high, r.PositiveInt("original_max_position_embeddings"));
    }

    /// <summary>This config as a Hugging Face <c>config.json</c> (classic keys, readable by transformers 4 and 5).</summary>
    public string ToJson()
    {
        var o = new JsonObject
        {
            ["architectures"] = new JsonArray("LlamaForCausalLM"),
            ["model_type"] = "llama",
            ["hidden_act"] = "silu",
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["vocab_size"] = VocabSize,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_bias"] = AttentionBias,
            ["mlp_bias"] = MlpBias,
            ["bos_token_id"] = BosTokenId,
            ["eos_token_id"] = EosTokenIds.Length == 1 ? JsonValue.Create(EosTokenIds[0]) : new JsonArray(EosTokenIds.Select(x => (JsonNode?)JsonValue.Create(x)).ToArray()),
            ["torch_dtype"] = TorchDtype,
        };
        if (RopeScaling.RopeType != "default")
        {
            var s = new JsonObject { ["rope_type"] = RopeScaling.RopeType, ["factor"] = RopeScaling.Factor };
            if (RopeScaling.RopeType == "llama3")
            {
                s["low_freq_factor"] = RopeScaling.LowFreqFactor;
                s["high_freq_factor"] = RopeScaling.HighFreqFactor;
                s["original_max_position_embeddings"] = RopeScaling.OriginalMaxPositionEmbeddings;
            }
            o["rope_scaling"] = s;
        }
        return o.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>Typed access to config keys with errors that name the file and key.</summary>
    sealed class Reader(JsonObject o, string source, string section = "")
    {
        JsonNode Required(string key) => o[key] ?? throw new LawcatException($"{source}: missing required key '{section}{key}'.");

        T Get<T>(string key, Func<JsonNode, T> read, string expected)
        {
            var n = Required(key);
            try { return read(n); }
            catch (Exception e) when (e is not LawcatException) { throw new LawcatException($"{source}: key '{section}{key}' is {n.ToJsonString()}; expected {expected}."); }
        }

        public int Int(string key) => Get(key, n => n.GetValue<int>(), "an integer");
        public int Int(string key, int fallback) => o[key] is null ? fallback : Int(key);
        public double Dbl(string key) => Get(key, n => n.GetValueKind() == JsonValueKind.Number ? n.GetValue<double>() : double.Parse(n.GetValue<string>(), CultureInfo.InvariantCulture), "a number");
        public double Dbl(string key, double fallback) => o[key] is null ? fallback : Dbl(key);
        public int PositiveInt(string key) => Checked(key, Int(key), x => x > 0, "a positive integer");
        public int PositiveInt(string key, int fallback) => o[key] is null ? fallback : PositiveInt(key);
        public double PositiveDbl(string key) => Checked(key, Dbl(key), x => x > 0 && double.IsFinite(x), "a finite number > 0");
        public double PositiveDbl(string key, double fallback) => o[key] is null ? fallback : PositiveDbl(key);
        public double Dbl(string key, double fallback, Func<double, bool> valid, string expected) =>
            o[key] is null ? fallback : Checked(key, Dbl(key), valid, expected);

        T Checked<T>(string key, T value, Func<T, bool> valid, string expected) where T : IFormattable =>
            valid(value) ? value : throw new LawcatException($"{source}: {section}{key} is {value.ToString(null, CultureInfo.InvariantCulture)}; expected {expected}.");
        public bool Bool(string key, bool fallback) => o[key] is null ? fallback : Get(key, n => n.GetValue<bool>(), "true or false");
        public string Str(string key, string fallback) => o[key] is null ? fallback : Get(key, n => n.GetValue<string>(), "a string");
        public int[] IntOrList(string key, int[] fallback) => o[key] is null ? fallback
            : Get(key, n => n is JsonArray a ? a.Select(x => x!.GetValue<int>()).ToArray() : new[] { n.GetValue<int>() }, "an integer or a list of integers");
    }
}
