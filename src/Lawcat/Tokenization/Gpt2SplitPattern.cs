using static Lawcat.Tokenization.PatternParts;
using static Lawcat.Tokenization.UnicodeClasses;

namespace Lawcat.Tokenization;

/// <summary>
/// GPT-2's pre-tokenizer regex (the one Hugging Face's ByteLevel pre-tokenizer applies with use_regex), matched per
/// code point: <c>'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+</c>.
/// </summary>
sealed class Gpt2SplitPattern : ISplitPattern
{
    /// <summary>The pattern as written in Hugging Face's ByteLevel pre-tokenizer.</summary>
    public const string Source = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The one instance (the matcher has no state).</summary>
    public static Gpt2SplitPattern Instance { get; } = new();

    /// <inheritdoc/>
    public int MatchAt(string text, int start)
    {
        int end = ContractionEnd(text, start, ignoreCase: false);
        if (end == start) end = ClassRunEnd(text, start);
        if (end == start) end = WhitespaceEnd(text, start);
        return end - start;
    }

    /// <summary><c> ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+</c>: one class of characters, optionally led by a space.</summary>
    static int ClassRunEnd(string s, int i)
    {
        int j = s[i] == ' ' ? i + 1 : i;
        if (j >= s.Length) return i;
        var r = At(s, j, out _);
        if (IsLetter(r)) return RunEnd(s, j, IsLetter);
        if (IsNumber(r)) return RunEnd(s, j, IsNumber);
        if (IsOther(r)) return RunEnd(s, j, IsOther);
        return i;
    }
}
