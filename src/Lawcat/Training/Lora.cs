using TorchSharp;
using Lawcat.Llama;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Training;

/// <summary>LoRA settings (defaults: LoLCATs' r = 8, α = 16, no dropout, on q/k/v/o).</summary>
public sealed record LoraOptions
{
    /// <summary>Rank of the update.</summary>
    public int Rank { get; init; } = 8;
    /// <summary>Scale numerator: the update is (α / r) · B A.</summary>
    public double Alpha { get; init; } = 16;
    /// <summary>Dropout on the adapter's input.</summary>
    public double Dropout { get; init; }
    /// <summary>Projections to adapt.</summary>
    public string[] Targets { get; init; } = { "q_proj", "k_proj", "v_proj", "o_proj" };
}

/// <summary>
/// A Linear plus a low-rank update: y = base(x) + (α/r) · B(A(dropout(x))). A starts random, B at zero, so the
/// wrapped layer starts equal to the base. Parameters: <c>base_layer.*</c>, <c>lora_A.weight</c>, <c>lora_B.weight</c>
/// (PEFT's names without the adapter name).
/// </summary>
public sealed class LoraLinear : nn.Module<Tensor, Tensor>
{
    readonly Linear base_layer, lora_A, lora_B;
    readonly double _scale, _dropout;

    /// <summary>When false the adapter is bypassed (e.g. to compute the teacher's outputs).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Generator for dropout masks; set per step so masks do not depend on the global RNG.</summary>
    public Generator? DropoutGenerator { get; set; }

    /// <summary>Wraps <paramref name="baseLayer"/>; the adapter is created on its device in fp32.</summary>
    public LoraLinear(Linear baseLayer, LoraOptions options) : base(nameof(LoraLinear))
    {
        base_layer = baseLayer;
        var w = baseLayer.weight!;
        lora_A = nn.Linear(w.shape[1], options.Rank, false, w.device, ScalarType.Float32);
        lora_B = nn.Linear(options.Rank, w.shape[0], false, w.device, ScalarType.Float32);
        using (no_grad()) lora_B.weight!.zero_();
        (_scale, _dropout) = (options.Alpha / options.Rank, options.Dropout);
        RegisterComponents();
    }

    /// <summary>The wrapped layer.</summary>
    public Linear Base => base_layer;

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = base_layer.forward(x);
        if (!Enabled) return y.MoveToOuterDisposeScope();
        var h = x.to(ScalarType.Float32);
        if (training && _dropout > 0)
        {
            using var dropout = _dropout.ToScalar();
            h = (h * (rand(h.shape, generator: DropoutGenerator, device: h.device) >= dropout).to(h.dtype)).Over(1 - _dropout);
        }
        var update = lora_B.forward(lora_A.forward(h)).Times(_scale);
        return y.Plus(update.to(y.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The base weight with the update folded in: W + (α/r) B A.</summary>
    public Tensor MergedWeight()
    {
        using var _ = no_grad();
        return base_layer.weight!.to(ScalarType.Float32).Plus(matmul(lora_B.weight!, lora_A.weight!).Times(_scale)).to(base_layer.weight!.dtype);
    }
}

/// <summary>Adds LoRA adapters to a model's attention projections, toggles them, and merges them into the weights.</summary>
public static class Lora
{
    /// <summary>Wraps the target projections of every layer; returns the new trainable parameters by full name.</summary>
    public static List<(string Name, Parameter Param)> Apply(LlamaModel model, LoraOptions options)
    {
        foreach (var layer in model.Layers)
        {
            var attn = layer.Attention;
            foreach (var target in options.Targets)
            {
                var current = Get(attn.Projections, target);
                if (current is LoraLinear) throw new LawcatException($"layer {attn.LayerIndex} {target} already has a LoRA adapter.");
                if (current is not Linear linear) throw new LawcatException($"LoRA target {target} of layer {attn.LayerIndex} is not a Linear layer.");
                attn.ReplaceProjection(target, new LoraLinear(linear, options));
            }
        }
        return Adapters(model).SelectMany(a => a.Module.named_parameters().Where(p => p.name.StartsWith("lora_"))
            .Select(p => ($"{a.Name}.{p.name}", p.parameter))).ToList();
    }

    /// <summary>Every adapter with its full name (e.g. <c>model.layers.0.self_attn.q_proj</c>).</summary>
    public static IEnumerable<(string Name, LoraLinear Module)> Adapters(LlamaModel model) =>
        model.Layers.SelectMany(l => new[] { "q_proj", "k_proj", "v_proj", "o_proj" }
            .Select(n => (Name: $"model.layers.{l.Attention.LayerIndex}.self_attn.{n}", Module: Get(l.Attention.Projections, n) as LoraLinear))
            .Where(x => x.Module is not null).Select(x => (x.Name, x.Module!)));

    /// <summary>Turns every adapter on or off.</summary>
    public static void SetEnabled(LlamaModel model, bool enabled)
    {
        foreach (var (_, a) in Adapters(model)) a.Enabled = enabled;
    }

    /// <summary>Folds every adapter into its base weight and removes it, leaving plain Linear layers.</summary>
    public static void Merge(LlamaModel model)
    {
        foreach (var layer in model.Layers)
            foreach (var name in new[] { "q_proj", "k_proj", "v_proj", "o_proj" })
                if (Get(layer.Attention.Projections, name) is LoraLinear adapter)
                {
                    using (no_grad()) adapter.Base.weight!.copy_(adapter.MergedWeight());
                    layer.Attention.ReplaceProjection(name, adapter.Base);
                }
    }

    static nn.Module<Tensor, Tensor> Get(AttentionProjections p, string name) => name switch
    {
        "q_proj" => p.Q,
        "k_proj" => p.K,
        "v_proj" => p.V,
        "o_proj" => p.O,
        _ => throw new LawcatException($"LoRA target '{name}' is not one of q_proj, k_proj, v_proj, o_proj."),
    };
}
