using static Lawcat.Tokenization.PatternParts;
using static Lawcat.Tokenization.UnicodeClasses;

namespace Lawcat.Tokenization;

/// <summary>
/// Llama-3's pre-tokenizer regex, matched per code point:
/// <c>(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+</c>.
/// Alternatives are tried in order and the first that matches wins, as in a backtracking engine.
/// </summary>
sealed class Llama3SplitPattern : ISplitPattern
{
    /// <summary>The pattern as written in Llama-3's tokenizer.json.</summary>
    public const string Source =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>The one instance (the matcher has no state).</summary>
    public static Llama3SplitPattern Instance { get; } = new();

    /// <inheritdoc/>
    public int MatchAt(string text, int start)
    {
        int end = ContractionEnd(text, start, ignoreCase: true);
        if (end == start) end = LettersEnd(text, start);
        if (end == start) end = RunEnd(text, start, IsNumber, max: 3);
        if (end == start) end = PunctuationEnd(text, start);
        if (end == start) end = LineBreaksEnd(text, start);
        if (end == start) end = WhitespaceEnd(text, start);
        return end - start;
    }

    /// <summary><c>[^\r\n\p{L}\p{N}]?\p{L}+</c>: letters, optionally led by one character that is no line break, letter or digit.</summary>
    static int LettersEnd(string s, int i)
    {
        var first = At(s, i, out int w);
        if (IsLetter(first)) return RunEnd(s, i, IsLetter);
        if (first.Value is '\r' or '\n' || IsNumber(first) || !Is(s, i + w, IsLetter)) return i;
        return RunEnd(s, i + w, IsLetter);
    }

    /// <summary><c> ?[^\s\p{L}\p{N}]+[\r\n]*</c>: punctuation and symbols, with an optional leading space and trailing line breaks.</summary>
    static int PunctuationEnd(string s, int i)
    {
        int j = s[i] == ' ' ? i + 1 : i;
        if (!Is(s, j, IsOther)) return i;
        j = RunEnd(s, j, IsOther);
        while (j < s.Length && s[j] is '\r' or '\n') j++;
        return j;
    }

    /// <summary><c>\s*[\r\n]+</c>: whitespace up to and including its last line break.</summary>
    static int LineBreaksEnd(string s, int i)
    {
        int end = i;
        for (int j = i; j < s.Length;)
        {
            var r = At(s, j, out int w);
            if (!IsWhiteSpace(r)) break;
            if (r.Value is '\r' or '\n') end = j + 1;
            j += w;
        }
        return end;
    }
}
