using System.Text;

namespace Lawcat.Tokenization;

/// <summary>Pieces shared by the hand-written regex matchers; each returns the end index of what it consumed.</summary>
static class PatternParts
{
    /// <summary>
    /// End of the run of code points from <paramref name="i"/> that satisfy <paramref name="inClass"/>, at most
    /// <paramref name="max"/> of them.
    /// </summary>
    public static int RunEnd(string s, int i, Func<Rune, bool> inClass, int max = int.MaxValue)
    {
        for (int n = 0; i < s.Length && n < max; n++)
        {
            var r = UnicodeClasses.At(s, i, out int w);
            if (!inClass(r)) break;
            i += w;
        }
        return i;
    }

    /// <summary>Whether the code point at <paramref name="i"/> exists and satisfies <paramref name="inClass"/>.</summary>
    public static bool Is(string s, int i, Func<Rune, bool> inClass) => i < s.Length && inClass(UnicodeClasses.At(s, i, out _));

    /// <summary>
    /// <c>\s+(?!\S)|\s+</c> at <paramref name="i"/>: a whitespace run, less its last code point when a non-space
    /// follows and the run has more than one (so that the last space can lead the next word).
    /// </summary>
    public static int WhitespaceEnd(string s, int i)
    {
        int j = i, lastStart = i;
        while (j < s.Length)
        {
            var r = UnicodeClasses.At(s, j, out int w);
            if (!UnicodeClasses.IsWhiteSpace(r)) break;
            lastStart = j;
            j += w;
        }
        if (j == i || j == s.Length || lastStart == i) return j;
        return lastStart;
    }

    /// <summary>
    /// The GPT-2 contractions <c>'s|'t|'re|'ve|'m|'ll|'d</c> at <paramref name="i"/>, case-insensitively when
    /// <paramref name="ignoreCase"/> (with Unicode case folding, which also lets U+017F ſ stand for s).
    /// </summary>
    public static int ContractionEnd(string s, int i, bool ignoreCase)
    {
        if (s[i] != '\'') return i;
        foreach (var suffix in Contractions)
            if (SuffixMatches(s, i + 1, suffix, ignoreCase)) return i + 1 + suffix.Length;
        return i;
    }

    static readonly string[] Contractions = { "s", "t", "re", "ve", "m", "ll", "d" };

    static bool SuffixMatches(string s, int at, string suffix, bool ignoreCase)
    {
        if (at + suffix.Length > s.Length) return false;
        for (int k = 0; k < suffix.Length; k++)
        {
            char c = s[at + k], p = suffix[k];
            bool same = c == p || ignoreCase && (c == char.ToUpperInvariant(p) || p == 's' && c == '\u017F');
            if (!same) return false;
        }
        return true;
    }
}
