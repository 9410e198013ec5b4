namespace Lawcat.Tokenization;

/// <summary>A tokenizer.json pre-tokenizer: splits text (already free of added tokens) into the words BPE sees.</summary>
interface IPreTokenizer
{
    /// <summary>Appends the non-empty words of <paramref name="piece"/> to <paramref name="output"/>.</summary>
    void Split(string piece, List<string> output);
}
