namespace Lawcat.Tokenization;

/// <summary>
/// An entry of tokenizer.json's <c>added_tokens</c>: a string that is split out of the text before pre-tokenization
/// and always becomes one id.
/// </summary>
/// <param name="Content">The text of the token.</param>
/// <param name="SingleWord">Only matches when no word character touches it on either side.</param>
/// <param name="Lstrip">Swallows the whitespace on its left.</param>
/// <param name="Rstrip">Swallows the whitespace on its right.</param>
/// <param name="Normalized">Matched in normalized text (after the normalizer) rather than in the raw text.</param>
/// <param name="Special">A control token: dropped when decoding with skipSpecialTokens.</param>
sealed record AddedToken(string Content, bool SingleWord, bool Lstrip, bool Rstrip, bool Normalized, bool Special);
