namespace Lawcat.Tokenization;

/// <summary>A Split pre-tokenizer's <c>{"String": ...}</c> pattern: the (non-empty) literal text, matched exactly.</summary>
sealed class LiteralSplitPattern(string literal) : ISplitPattern
{
    /// <inheritdoc/>
    public int MatchAt(string text, int start) =>
        start + literal.Length <= text.Length && string.CompareOrdinal(text, start, literal, 0, literal.Length) == 0 ? literal.Length : 0;
}
