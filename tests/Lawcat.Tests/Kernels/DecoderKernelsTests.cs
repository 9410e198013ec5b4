using Lawcat.IO;
using Lawcat.Kernels.Cuda;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Tests.Kernels;

/// <summary>
/// The decoder kernels inside a model: a Hugging Face fixture's prompt, then one-token steps with the emulated kernels in
/// place (each step's RMSNorms and SwiGLU product on them, the prompt on tensor operations), against Hugging Face's full
/// forward within the fidelity tolerance (max abs error ≤ 1e-4 × the reference's max abs value, fp32).
/// </summary>
[Trait("Category", "Kernels")]
public class DecoderKernelsTests
{
    [Fact]
    public void DecodingStepsOnTheKernelsMatchHuggingFace()
    {
        var launcher = new CountingLauncher(new EmulatedKernels());
        using var _ = KernelLaunchers.Use(launcher);
        using var oneThread = new SingleTorchThread();
        var folder = TestPaths.LlamaFixture("gqa4-untied-llama3");
        var model = LlamaModel.FromPretrained(folder);
        var x = SafetensorsFile.Open(Path.Combine(folder, "expected.safetensors")).ReadAll();
        using var noGrad = no_grad();
        var ids = x["input_ids"];                                                          // [B, T]
        const int prompt = 4;
        using var cache = model.NewCache();
        var parts = new List<Tensor> { model.Forward(ids[.., ..prompt], null, cache) };
        for (int t = prompt; t < ids.shape[1]; t++) parts.Add(model.Forward(ids[.., t..(t + 1)], null, cache));
        TensorAssert.CloseToScale(x["logits"], cat(parts, 1), 1e-4, "prompt + steps on the decoder kernels vs Hugging Face");
        long steps = ids.shape[1] - prompt, layers = model.Config.NumHiddenLayers;
        Assert.Equal(steps * (2 * layers + 1), launcher.Launches("rms_norm"));        // two per layer, the final norm
        Assert.Equal(steps * layers, launcher.Launches("swiglu"));
    }

    /// <summary>Counts the launches of each kernel it passes on.</summary>
    sealed class CountingLauncher(IKernelLauncher inner) : IKernelLauncher
    {
        readonly Dictionary<string, int> _counts = new();

        public int Launches(string kernel) => _counts.GetValueOrDefault(kernel);

        public bool Runs(Device device) => inner.Runs(device);

        public int Multiprocessors(Device device) => inner.Multiprocessors(device);

        public void Launch(KernelModule module, string kernel, (uint X, uint Y, uint Z) grid, uint threads, uint sharedBytes, object args, Device device)
        {
            _counts[kernel] = Launches(kernel) + 1;
            inner.Launch(module, kernel, grid, threads, sharedBytes, args, device);
        }
    }
}
