namespace Lawcat.Evaluation;

/// <summary>
/// RULER's essay haystack with <see cref="GutenbergProse"/> in place of the Paul Graham essays: the books in their
/// fixed order form one text, split into words at spaces, and a haystack of n words is always the first n words, so
/// the haystack is the same for every sample of a length.
/// </summary>
public static class EssayHaystack
{
    static readonly Lazy<(string Text, int[] WordEnds)> Words = new(Load);

    /// <summary>How many words the haystack text holds.</summary>
    public static int WordCount => Words.Value.WordEnds.Length;

    /// <summary>The first <paramref name="words"/> words joined by single spaces.</summary>
    public static string Text(int words)
    {
        var (text, ends) = Words.Value;
        if (words > ends.Length)
            throw new LawcatException($"the essay haystack has {ends.Length} words; {words} were asked for");
        return words == 0 ? "" : text[..ends[words - 1]];
    }

    /// <summary>The word at <paramref name="index"/> (0-based).</summary>
    public static string Word(int index)
    {
        var (text, ends) = Words.Value;
        var start = index == 0 ? 0 : ends[index - 1] + 1;
        return text[start..ends[index]];
    }

    static (string, int[]) Load()
    {
        var text = string.Join(' ', GutenbergProse.Texts);
        var ends = new List<int>(text.Length / 5);
        for (var i = 0; i < text.Length; i++)
            if (text[i] == ' ') ends.Add(i);
        ends.Add(text.Length);
        return (text, ends.ToArray());
    }
}
