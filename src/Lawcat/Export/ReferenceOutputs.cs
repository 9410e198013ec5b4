using Lawcat.IO;
using Lawcat.Llama;
using static TorchSharp.torch;

namespace Lawcat.Export;

/// <summary>
/// What the workbench computes for fixed ids, written so another implementation (the exported PyTorch model) can be
/// compared with it: <c>input_ids</c> [2, T] random ids (seeded), <c>attention_mask</c> [2, T] (row 1 left-padded by
/// T/4), <c>logits</c> [2, T, V] fp32 from one forward, and <c>generated</c> [2, N], the greedy continuation of the
/// whole input with no stop token. scripts/device/hf_export_check.py reads it.
/// </summary>
public static class ReferenceOutputs
{
    /// <summary>Greedy tokens recorded after the input.</summary>
    public const int NewTokens = 16;

    /// <summary>Fewest tokens per row (a quarter of them padding in row 1).</summary>
    public const int MinLength = 4;

    /// <summary>Computes the outputs of <paramref name="model"/> for <paramref name="length"/> tokens and writes them to <paramref name="path"/>.</summary>
    public static void Write(LlamaModel model, string path, int length, int seed = 0)
    {
        if (length < MinLength) throw new LawcatException($"reference outputs for {length} tokens: expected at least {MinLength}.");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var rng = new Random(seed);
        var ids = Enumerable.Range(0, 2 * length).Select(_ => (long)rng.Next(model.Config.VocabSize)).ToArray();
        var mask = Enumerable.Range(0, 2 * length).Select(i => i >= length && i - length < length / 4 ? 0L : 1L).ToArray();
        var inputIds = tensor(ids, new long[] { 2, length }, device: model.Device);
        var attentionMask = tensor(mask, new long[] { 2, length }, device: model.Device);
        var logits = model.Forward(inputIds, attentionMask).to(ScalarType.Float32);   // [2, T, V]
        var generated = model.Generate(inputIds, attentionMask, NewTokens);            // [2, N]
        SafetensorsFile.Write(path, new Dictionary<string, Tensor>
        {
            ["input_ids"] = inputIds, ["attention_mask"] = attentionMask, ["logits"] = logits, ["generated"] = generated,
        }, new Dictionary<string, string> { ["dtype"] = model.DType.ToString(), ["device"] = model.Device.ToString() });
    }
}
