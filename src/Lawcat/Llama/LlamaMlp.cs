using Lawcat.Kernels;
using Lawcat.Kernels.Cuda;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>SwiGLU feed-forward block: down(silu(gate(x)) * up(x)).</summary>
public sealed class LlamaMlp : nn.Module<Tensor, Tensor>
{
    readonly Linear gate_proj, up_proj, down_proj;

    /// <summary>An MLP of <paramref name="config"/>'s widths.</summary>
    public LlamaMlp(LlamaConfig config, Device? device, ScalarType? dtype) : base(nameof(LlamaMlp))
    {
        gate_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        up_proj = nn.Linear(config.HiddenSize, config.IntermediateSize, config.MlpBias, device, dtype);
        down_proj = nn.Linear(config.IntermediateSize, config.HiddenSize, config.MlpBias, device, dtype);
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var (g, u) = (gate_proj.forward(x), up_proj.forward(x));
        var product = KernelBackend.DecoderStep(g, u) ? DecoderKernels.SwiGlu(g, u) : nn.functional.silu(g) * u;
        return down_proj.forward(product).MoveToOuterDisposeScope();
    }
}
