namespace Lawcat.Tokenization;

/// <summary>What a tokenizer.json without a pre-tokenizer does: the whole piece is one word.</summary>
sealed class WholePreTokenizer : IPreTokenizer
{
    /// <inheritdoc/>
    public void Split(string piece, List<string> output) => output.Add(piece);
}
