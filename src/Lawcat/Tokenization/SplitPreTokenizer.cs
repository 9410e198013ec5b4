namespace Lawcat.Tokenization;

/// <summary>
/// The <c>Split</c> pre-tokenizer with behavior <c>Isolated</c>: every match of the pattern becomes a word, and so
/// does every stretch of text between matches.
/// </summary>
sealed class SplitPreTokenizer(ISplitPattern pattern) : IPreTokenizer
{
    /// <inheritdoc/>
    public void Split(string piece, List<string> output) => SplitIsolated(piece, pattern, output);

    /// <summary>Appends the matches of <paramref name="pattern"/> in <paramref name="text"/> and the gaps between them, in order.</summary>
    public static void SplitIsolated(string text, ISplitPattern pattern, List<string> output)
    {
        int gapStart = 0, i = 0;
        while (i < text.Length)
        {
            int length = pattern.MatchAt(text, i);
            if (length == 0)
            {
                UnicodeClasses.At(text, i, out int width);
                i += width;
                continue;
            }
            if (gapStart < i) output.Add(text[gapStart..i]);
            output.Add(text.Substring(i, length));
            i += length;
            gapStart = i;
        }
        if (gapStart < text.Length) output.Add(text[gapStart..]);
    }
}
