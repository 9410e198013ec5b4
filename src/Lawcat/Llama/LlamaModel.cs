using System.Text.Json;
using System.Text.Json.Nodes;
using Lawcat.IO;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>
/// A Llama causal language model (HF <c>LlamaForCausalLM</c>): <c>model</c> (embedding, layers, norm) and
/// <c>lm_head</c> (absent when tied to the embedding). Parameter names equal HF's, so state dicts map one to one.
/// </summary>
public sealed class LlamaModel : nn.Module<Tensor, Tensor>
{
    readonly LlamaTransformer model;
    readonly Linear? lm_head;
    readonly RotaryEmbedding _rotary;

    /// <summary>The architecture.</summary>
    public LlamaConfig Config { get; }

    /// <summary>A randomly initialized model of <paramref name="config"/>.</summary>
    public LlamaModel(LlamaConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(LlamaModel))
    {
        Config = config;
        model = new LlamaTransformer(config, device, dtype);
        if (!config.TieWordEmbeddings) lm_head = nn.Linear(config.HiddenSize, config.VocabSize, false, device, dtype);
        _rotary = new RotaryEmbedding(config);
        RegisterComponents();
    }

    /// <summary>The embedding, layers and final norm.</summary>
    public LlamaTransformer Transformer => model;
    /// <summary>The decoder layers.</summary>
    public IReadOnlyList<LlamaDecoderLayer> Layers => model.Layers;
    /// <summary>The rotary embedding shared by all layers.</summary>
    public RotaryEmbedding Rotary => _rotary;
    /// <summary>Device of the weights.</summary>
    public Device Device => model.Embedding.weight!.device;
    /// <summary>Dtype of the weights.</summary>
    public ScalarType DType => model.Embedding.weight!.dtype;

    /// <summary>
    /// Loads a Hugging Face model folder (config.json + model.safetensors or a sharded index), converting the
    /// weights to <paramref name="dtype"/> (default fp32) on <paramref name="device"/> (default CPU). A folder whose
    /// config.json describes other attention layers loads only through the <paramref name="extension"/> that builds them.
    /// </summary>
    public static LlamaModel FromPretrained(string folder, ScalarType? dtype = null, Device? device = null, IModelFolderExtension? extension = null)
    {
        if (!Directory.Exists(folder)) throw new LawcatException($"{folder}: model folder not found.");
        var config = LlamaConfig.FromFile(folder, extension);
        var weights = SafetensorsWeights.Open(folder);
        var m = new LlamaModel(config, device, dtype ?? ScalarType.Float32);
        var configFile = Path.Combine(folder, "config.json");
        extension?.Build(m, JsonNode.Parse(File.ReadAllText(configFile))!.AsObject(), configFile);
        var ignore = new HashSet<string> { "model.rotary_emb.inv_freq" };
        if (config.TieWordEmbeddings) ignore.Add("lm_head.weight");
        WeightLoader.LoadStrict(m, weights, folder, ignore);
        m.eval();
        return m;
    }

    /// <summary>
    /// Writes config.json and model.safetensors to <paramref name="folder"/>, loadable by <see cref="FromPretrained"/>
    /// (and by HF when every layer is softmax attention). Other attention layers are described by
    /// <paramref name="extension"/>, the code that made them; without one, a model holding them is refused, since the
    /// folder could not be loaded back.
    /// </summary>
    public void SavePretrained(string folder, IModelFolderExtension? extension = null)
    {
        if (extension is null && model.Layers.FirstOrDefault(l => l.Attention is not SoftmaxAttention) is { } other)
            throw new LawcatException($"{folder}: layer {other.Attention.LayerIndex} runs {other.Attention.GetType().Name}, which a plain Llama config.json "
                + "cannot describe; save the model with the code that made that layer (for a LAWCAT student, Conversion.StudentFolder.Save).");
        Directory.CreateDirectory(folder);
        SafetensorsFile.Write(Path.Combine(folder, "model.safetensors"), state_dict(), new Dictionary<string, string> { ["format"] = "pt" });
        var config = JsonNode.Parse(Config.ToJson())!.AsObject();
        extension?.Describe(this, config);
        var path = Path.Combine(folder, "config.json");
        File.WriteAllText(path + ".tmp", config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        File.Move(path + ".tmp", path, overwrite: true);
    }

    /// <summary>
    /// HF's initialization for training from scratch: every Linear and the embedding N(0, <paramref name="std"/>),
    /// biases zero, norms one (TorchSharp's defaults, Kaiming for Linear and N(0, 1) for embeddings, train poorly
    /// with tied embeddings).
    /// </summary>
    public void InitializeWeights(double std = 0.02)
    {
        using var _ = no_grad();
        foreach (var (name, p) in named_parameters())
        {
            if (name.EndsWith("norm.weight")) p.fill_(Scalars.One);
            else if (name.EndsWith(".bias")) p.zero_();
            else nn.init.normal_(p, 0, std);
        }
    }

    /// <summary>Swaps the attention of layer <paramref name="layer"/>.</summary>
    public void ReplaceAttention(int layer, DecoderAttention attention) => model.Layers[layer].ReplaceAttention(attention);

    /// <summary>An empty decoding cache for this model.</summary>
    public InferenceCache NewCache() => new(Config.NumHiddenLayers);

    /// <summary>Logits [B, T, V] for token ids [B, T].</summary>
    public override Tensor forward(Tensor inputIds) => Forward(inputIds);

    /// <summary>
    /// Runs the model. <paramref name="attentionMask"/> [B, T] marks real tokens (1) and padding (0), padding on
    /// the left for generation; positions count real tokens only. With a <paramref name="cache"/> the call continues
    /// from the tokens already consumed. Returns logits [B, T, V], or [B, 1, V] with <paramref name="lastOnly"/>.
    /// Without a cache, <paramref name="start"/> makes recurrent layers start from a state other than zeros (training).
    /// </summary>
    public Tensor Forward(Tensor inputIds, Tensor? attentionMask = null, InferenceCache? cache = null,
        AttentionCapture? capture = null, bool lastOnly = false, RecurrentStart? start = null)
    {
        using var scope = NewDisposeScope();
        var h = ForwardHidden(inputIds, attentionMask, cache, capture, start);
        if (lastOnly) h = h[.., ^1..];
        var logits = lm_head is null ? nn.functional.linear(h, model.Embedding.weight!) : lm_head.forward(h);
        return logits.MoveToOuterDisposeScope();
    }

    /// <summary>The final normed hidden states [B, T, C] (everything but the output head).</summary>
    public Tensor ForwardHidden(Tensor inputIds, Tensor? attentionMask = null, InferenceCache? cache = null, AttentionCapture? capture = null,
        RecurrentStart? start = null)
    {
        if (start is not null && cache is not null) throw new ArgumentException("a recurrent start is for stateless forwards; a cache already holds the state");
        using var scope = NewDisposeScope();
        var (b, t) = (inputIds.shape[0], inputIds.shape[1]);
        long past = cache?.SeenTokens ?? 0;
        var keyMask = FullKeyMask(attentionMask, cache, b, t, past);
        var positions = keyMask is null
            ? TensorNumbers.Arange(past, past + t, inputIds.device).unsqueeze(0).expand(b, t)
            : keyMask.to(ScalarType.Int64).cumsum(1).Minus(1).clamp_min(Scalars.Zero)[.., (int)past..];   // [B, T]
        var h = model.Embedding.forward(inputIds);                                                // [B, T, C]
        var (cos, sin) = _rotary.Forward(positions, h.dtype);
        var ctx = new AttentionContext { PositionIds = positions, Cos = cos, Sin = sin, KeyMask = keyMask, PastLength = past, Cache = cache, Capture = capture, Start = start };
        Record(capture, "embeddings", h);
        foreach (var layer in model.Layers)
        {
            h = layer.forward(h, ctx);
            Record(capture, $"layer.{ctx_index(layer)}", h);
        }
        h = model.FinalNorm.forward(h);
        Record(capture, "final_norm", h);
        cache?.Advance(t, keyMask);
        return h.MoveToOuterDisposeScope();
    }

    static int ctx_index(LlamaDecoderLayer layer) => layer.Attention.LayerIndex;

    static void Record(AttentionCapture? capture, string key, Tensor h)
    {
        if (capture?.RecordHiddenStates == true) capture.HiddenStates[key] = AttentionCapture.Keep(h.detach().clone());
    }

    /// <summary>[B, past + T] bool mask of real tokens, or null when no token so far is padding.</summary>
    static Tensor? FullKeyMask(Tensor? attentionMask, InferenceCache? cache, long b, long t, long past)
    {
        var prev = cache?.KeyMask;
        if (attentionMask is null && prev is null) return null;
        var now = attentionMask?.to(ScalarType.Bool) ?? ones(b, t, ScalarType.Bool, cache!.KeyMask!.device);
        if (prev is null && past > 0) prev = ones(b, past, ScalarType.Bool, now.device);
        var full = prev is null ? now : cat(new[] { prev, now }, 1);
        return prev is null && full.all().item<bool>() ? null : full;
    }

    /// <summary>
    /// Greedy decoding of up to <paramref name="maxNewTokens"/> tokens after prompts [B, T] (left-padded, with
    /// <paramref name="attentionMask"/>). A row stops at any of <paramref name="stopTokens"/> (then filled with
    /// <paramref name="padTokenId"/>). <paramref name="onStep"/> is called after each token. Returns [B, N].
    /// </summary>
    public Tensor Generate(Tensor inputIds, Tensor? attentionMask, int maxNewTokens, IReadOnlyCollection<int>? stopTokens = null,
        long padTokenId = 0, Action<int>? onStep = null)
    {
        using var _ = no_grad();
        using var cache = NewCache();
        using var scope = NewDisposeScope();
        long b = inputIds.shape[0];
        var done = zeros(b, ScalarType.Bool, inputIds.device);
        var stops = stopTokens is { Count: > 0 } ? tensor(stopTokens.Select(x => (long)x).ToArray(), device: inputIds.device) : null;
        var produced = new List<Tensor>();
        var logits = Forward(inputIds, attentionMask, cache, lastOnly: true);
        for (int step = 0; step < maxNewTokens; step++)
        {
            var next = logits[.., -1].argmax(-1);                                   // [B]
            next = where(done, tensor(padTokenId, device: next.device), next);
            produced.Add(next);
            if (stops is not null) done = done | isin(next, stops);
            onStep?.Invoke(step + 1);
            if (step + 1 == maxNewTokens || (stops is not null && done.all().item<bool>())) break;
            using var stepScope = NewDisposeScope();
            var input = next.unsqueeze(1);
            var mask = attentionMask is null ? null : ones(b, 1, ScalarType.Int64, input.device);
            logits = Forward(input, mask, cache, lastOnly: true).MoveToOuterDisposeScope();
        }
        return stack(produced, 1).MoveToOuterDisposeScope();
    }
}
