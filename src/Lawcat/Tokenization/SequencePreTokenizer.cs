namespace Lawcat.Tokenization;

/// <summary>The <c>Sequence</c> pre-tokenizer: each step splits every word the previous step produced.</summary>
sealed class SequencePreTokenizer(IReadOnlyList<IPreTokenizer> steps) : IPreTokenizer
{
    /// <inheritdoc/>
    public void Split(string piece, List<string> output)
    {
        List<string> words = [piece];
        foreach (var step in steps)
        {
            var next = new List<string>(words.Count);
            foreach (var word in words) step.Split(word, next);
            words = next;
        }
        output.AddRange(words);
    }
}
