using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>
/// Where a sample's needle sits in its prompt, in tokens of the evaluated model's tokenizer (BOS counted, as
/// <see cref="EvalSample"/> counts lengths).
/// </summary>
/// <param name="Start">Index of the needle's first token.</param>
/// <param name="End">Index one past the needle's last token.</param>
/// <param name="PromptTokens">Tokens in the whole prompt.</param>
/// <param name="AnswerTokens">Token indices of every copy of an accepted answer inside the needle (e.g. the pass key's digits).</param>
public sealed record NeedlePosition(int Start, int End, int PromptTokens, IReadOnlyList<int> AnswerTokens)
{
    /// <summary>
    /// The needle's distance to the question: prompt tokens after the needle's last token (the rest of the haystack and
    /// the question), which the model must reach back across when it answers.
    /// </summary>
    public int Distance => PromptTokens - End;

    /// <summary>
    /// The needle of <paramref name="sample"/> (its <c>needle</c> metadata, found in the prompt), or null for tasks
    /// without one. Token positions are the token counts of the prompt's prefixes: exact for byte-level tokenizers, and
    /// within a token at the needle's edges for BPE, whose merges may cross them.
    /// </summary>
    public static NeedlePosition? Locate(ITokenizer tokenizer, EvalSample sample)
    {
        if (!sample.Metadata.TryGetValue("needle", out var needle) || needle.Length == 0) return null;
        int at = sample.Prompt.IndexOf(needle, StringComparison.Ordinal);
        if (at < 0) return null;
        int Tokens(int chars) => tokenizer.Encode(sample.Prompt[..chars], addSpecialTokens: true).Count;
        var answers = new SortedSet<int>();
        foreach (var answer in sample.Answers.Where(a => a.Length > 0))
            for (int i = needle.IndexOf(answer, StringComparison.Ordinal); i >= 0; i = needle.IndexOf(answer, i + answer.Length, StringComparison.Ordinal))
            {
                int first = Tokens(at + i), end = Math.Max(Tokens(at + i + answer.Length), first + 1);
                for (int t = first; t < end; t++) answers.Add(t);
            }
        return new NeedlePosition(Tokens(at), Tokens(at + needle.Length), Tokens(sample.Prompt.Length), answers.ToList());
    }
}
