namespace Lawcat.Tokenization;

/// <summary>
/// The <c>ByteLevel</c> pre-tokenizer: optionally prefixes a space (when the piece does not start with one), optionally
/// splits with GPT-2's regex, then writes each word's UTF-8 bytes as byte-level symbols.
/// </summary>
sealed class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex) : IPreTokenizer
{
    /// <inheritdoc/>
    public void Split(string piece, List<string> output)
    {
        var text = addPrefixSpace && !piece.StartsWith(' ') ? " " + piece : piece;
        if (!useRegex)
        {
            output.Add(ByteLevelAlphabet.Encode(text));
            return;
        }
        var words = new List<string>();
        SplitPreTokenizer.SplitIsolated(text, Gpt2SplitPattern.Instance, words);
        foreach (var word in words) output.Add(ByteLevelAlphabet.Encode(word));
    }
}
