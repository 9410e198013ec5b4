using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>Text in, text out: the few lines between a prompt string and a model that notebooks would otherwise repeat.</summary>
public static class TextGeneration
{
    /// <summary>Token ids [1, T] of <paramref name="text"/> (with the tokenizer's BOS) on the model's device.</summary>
    public static Tensor Encode(ITokenizer tokenizer, string text, Device? device = null)
    {
        var ids = tokenizer.Encode(text, addSpecialTokens: true).Select(i => (long)i).ToArray();
        return tensor(ids, new long[] { 1, ids.Length }, device: device ?? CPU);
    }

    /// <summary>
    /// Greedy continuation of <paramref name="prompt"/> (up to <paramref name="maxNewTokens"/> tokens, stopping at
    /// end-of-sequence), decoded. A softmax model decodes with its KV cache, a LAWCAT model with its constant-size state.
    /// </summary>
    public static string Complete(LlamaModel model, ITokenizer tokenizer, string prompt, int maxNewTokens = 48)
    {
        using var scope = NewDisposeScope();
        var stops = tokenizer.EosTokenId is int eos ? new[] { eos } : Array.Empty<int>();
        var output = model.Generate(Encode(tokenizer, prompt, model.Device), null, maxNewTokens, stops);
        return tokenizer.Decode(output[0].data<long>().Select(x => (int)x).TakeWhile(t => !stops.Contains(t)), skipSpecialTokens: true);
    }
}
