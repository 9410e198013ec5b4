using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Llama;

/// <summary>Text in, text out: greedy generation from a prompt string, the one routine of <c>lawcat generate</c> and the notebooks.</summary>
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
        return Continue(model, tokenizer, Encode(tokenizer, prompt, model.Device), maxNewTokens);
    }

    /// <summary>
    /// Greedy continuation of token ids [1, T] on the model's device (<see cref="Encode"/>), up to
    /// <paramref name="maxNewTokens"/> tokens, stopping at the tokenizer's end-of-sequence; the new tokens, decoded.
    /// </summary>
    public static string Continue(LlamaModel model, ITokenizer tokenizer, Tensor ids, int maxNewTokens)
    {
        using var scope = NewDisposeScope();
        var stops = tokenizer.EosTokenId is int eos ? new[] { eos } : Array.Empty<int>();
        var output = model.Generate(ids, null, maxNewTokens, stops);
        return tokenizer.Decode(output[0].data<long>().Select(x => (int)x).TakeWhile(t => !stops.Contains(t)), skipSpecialTokens: true);
    }
}
