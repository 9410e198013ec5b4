namespace Lawcat.Evaluation;

/// <summary>
/// BABILong's background text, drawn as its SentenceSampler draws PG19 but from <see cref="GutenbergProse"/>: a random
/// book, a random character offset, a window of text split into sentences with the first and last (partial) ones
/// dropped, and sentences under <see cref="MinSentenceTokens"/> GPT-2 tokens skipped; then the next random window, as
/// long as more is needed.
/// </summary>
public sealed class BackgroundSentences
{
    /// <summary>Sentences of fewer GPT-2 tokens than this are skipped (BABILong's <c>min_sentence_len</c>).</summary>
    public const int MinSentenceTokens = 10;

    /// <summary>A background sentence and its GPT-2 tokens when written after a space, as it stands in the haystack.</summary>
    public readonly record struct Sentence(string Text, int Tokens);

    readonly SeededRandom _rng;
    readonly int _windowChars;
    readonly List<Sentence> _sentences = new();
    int _tokens;

    /// <summary>A sampler drawing from <paramref name="rng"/>; <paramref name="windowChars"/> is how much text one
    /// random offset yields (BABILong: ten characters per token of the background).</summary>
    public BackgroundSentences(SeededRandom rng, int windowChars)
    {
        _rng = rng;
        _windowChars = Math.Max(windowChars, 1000);
    }

    /// <summary>The sentences drawn so far, extended until their GPT-2 tokens add up to at least <paramref name="tokens"/>.</summary>
    public IReadOnlyList<Sentence> AtLeast(int tokens)
    {
        while (_tokens < tokens) DrawWindow();
        return _sentences;
    }

    void DrawWindow()
    {
        var book = _rng.Pick(GutenbergProse.Texts);
        var start = _rng.Next(book.Length);
        var window = book.Substring(start, Math.Min(_windowChars, book.Length - start));
        var sentences = SentenceSplitter.Split(window);
        foreach (var text in sentences.Skip(1).Take(sentences.Count - 2))
        {
            var tokens = Gpt2Tokens.Count(" " + text);
            if (tokens < MinSentenceTokens) continue;
            _sentences.Add(new Sentence(text, tokens));
            _tokens += tokens;
        }
    }
}
