using System.Text.RegularExpressions;

namespace Lawcat.Evaluation;

/// <summary>
/// BABILong's background text, drawn as its SentenceSampler draws PG19 but from <see cref="GutenbergProse"/>: a random
/// book, a random character offset, a window of text split into sentences with the first and last (partial) ones
/// dropped, and short sentences skipped; then the next random window, as long as more is needed.
/// </summary>
public sealed partial class BackgroundSentences
{
    /// <summary>
    /// Sentences shorter than this many words and punctuation marks are skipped. BABILong skips those under 10 GPT-2
    /// tokens; counting pieces keeps the background the same whatever tokenizer is evaluated.
    /// </summary>
    public const int MinSentencePieces = 10;

    readonly SeededRandom _rng;
    readonly int _windowChars;
    readonly List<string> _sentences = new();
    int _chars;

    /// <summary>A sampler drawing from <paramref name="rng"/>; <paramref name="windowChars"/> is how much text one
    /// random offset yields (BABILong: ten characters per token of the sample).</summary>
    public BackgroundSentences(SeededRandom rng, int windowChars)
    {
        _rng = rng;
        _windowChars = Math.Max(windowChars, 1000);
    }

    /// <summary>The sentences drawn so far, extended until their lengths add up to at least <paramref name="chars"/>.</summary>
    public IReadOnlyList<string> AtLeast(int chars)
    {
        while (_chars < chars) DrawWindow();
        return _sentences;
    }

    void DrawWindow()
    {
        var book = _rng.Pick(GutenbergProse.Texts);
        var start = _rng.Next(book.Length);
        var window = book.Substring(start, Math.Min(_windowChars, book.Length - start));
        var sentences = SentenceSplitter.Split(window);
        foreach (var sentence in sentences.Skip(1).Take(sentences.Count - 2))
        {
            if (Piece().Count(sentence) < MinSentencePieces) continue;
            _sentences.Add(sentence);
            _chars += sentence.Length;
        }
    }

    [GeneratedRegex(@"\w+|[^\w\s]")]
    private static partial Regex Piece();
}
