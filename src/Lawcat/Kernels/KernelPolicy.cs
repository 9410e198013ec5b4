namespace Lawcat.Kernels;

/// <summary>
/// Which implementations may run LAWCAT's attention, from the specification's tensor operations up to the fused kernels.
/// Each level allows the ones before it; <see cref="KernelBackend"/> picks, per call, the highest allowed one that takes
/// the call's inputs (device, dtypes, shapes, gradients) and falls back to tensor operations otherwise.
/// </summary>
public enum KernelPolicy
{
    /// <summary>Every kernel that has passed <c>lawcat bench kernels</c> on a GPU; today the same as <see cref="Fused"/> (see <see cref="KernelPolicies.Resolve"/>).</summary>
    Auto,
    /// <summary>Tensor operations only (the forms of <see cref="GatedLinearAttention"/>): the training path and the oracle.</summary>
    TensorOnly,
    /// <summary>The gated linear attention op on the fp32 CUDA-core kernels (GlaKernels.cu); a layer's features in tensor operations.</summary>
    CudaCores,
    /// <summary>Also the tensor-core kernels (GlaMmaKernels.cu) for bf16 operands, a bf16 layer's op included.</summary>
    TensorCores,
    /// <summary>Also the fused kernels: LAWCAT's (LawcatKernels.cu: a layer's conv and feature maps for a prompt, forward and backward, a whole decoding step) and a decoding step's RMSNorms and SwiGLU (DecoderKernels.cu).</summary>
    Fused,
}

/// <summary>Names, parsing and the process default of <see cref="KernelPolicy"/>.</summary>
public static class KernelPolicies
{
    /// <summary>The environment variable that sets the process default (a policy name, e.g. <c>tensor-only</c>).</summary>
    public const string EnvironmentVariable = "LAWCAT_KERNELS";

    static KernelPolicy? _default;

    /// <summary>
    /// The policy of layers and calls that set none: what <c>--kernels</c> set on the command line, else
    /// <see cref="EnvironmentVariable"/>, else <see cref="KernelPolicy.Auto"/>.
    /// </summary>
    public static KernelPolicy Default
    {
        get => _default ??= FromEnvironment();
        set => _default = value;
    }

    static KernelPolicy FromEnvironment() =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } text ? Parse(text, EnvironmentVariable) : KernelPolicy.Auto;

    /// <summary>All policies, in order.</summary>
    public static IReadOnlyList<KernelPolicy> All { get; } = Enum.GetValues<KernelPolicy>();

    /// <summary>The policy's name as the command line writes it (<c>tensor-only</c>).</summary>
    public static string Name(this KernelPolicy policy) => policy switch
    {
        KernelPolicy.TensorOnly => "tensor-only",
        KernelPolicy.CudaCores => "cuda-cores",
        KernelPolicy.TensorCores => "tensor-cores",
        _ => policy.ToString().ToLowerInvariant(),
    };

    /// <summary>A policy from its name (<c>tensor-only</c> or <c>tensor_only</c>); <paramref name="what"/> names the source in errors.</summary>
    public static KernelPolicy Parse(string text, string what) =>
        All.FirstOrDefault(p => p.Name() == text.Trim().ToLowerInvariant().Replace('_', '-'), (KernelPolicy)(-1)) is var p && p >= 0
            ? p
            : throw new LawcatException($"{what}: '{text}' is not a kernel policy; expected one of {string.Join(", ", All.Select(Name))}.");

    /// <summary>What <see cref="KernelPolicy.Auto"/> stands for: the highest level whose kernels have passed <c>lawcat bench kernels</c> on a GPU, today the fused kernels (177 of 177 checks on an H200, 2026-12-02, docs/benchmarks.md).</summary>
    public static KernelPolicy Resolve(this KernelPolicy policy) => policy == KernelPolicy.Auto ? KernelPolicy.Fused : policy;

    /// <summary>Whether <paramref name="policy"/> allows the kernels of <paramref name="level"/>.</summary>
    public static bool Allows(this KernelPolicy policy, KernelPolicy level) => policy.Resolve() >= level;

    /// <summary>"fused" or "auto (fused)": the policy and what it resolves to.</summary>
    public static string Describe(this KernelPolicy policy) => policy == KernelPolicy.Auto ? $"auto ({policy.Resolve().Name()})" : policy.Name();
}
