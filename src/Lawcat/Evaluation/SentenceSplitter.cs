using System.Text.RegularExpressions;

namespace Lawcat.Evaluation;

/// <summary>
/// Splits running English prose into sentences, standing in for NLTK's Punkt tokenizer that RULER and BABILong use:
/// a sentence ends at '.', '!' or '?' (and any closing quotes or brackets) before whitespace and a capital letter or
/// an opening quote, unless the word before is a common abbreviation or an initial. Punkt also learns abbreviations
/// from the text; this rule set is a close, deterministic approximation.
/// </summary>
public static partial class SentenceSplitter
{
    static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "st", "mme", "mlle", "messrs", "capt", "col", "gen", "lt", "sgt", "rev", "hon",
        "sr", "jr", "prof", "esq", "vs", "etc", "viz", "cf", "ch", "vol", "ibid", "i.e", "e.g",
    };

    /// <summary>The sentences of <paramref name="text"/>, trimmed, in order; whitespace between them is dropped.</summary>
    public static IReadOnlyList<string> Split(string text)
    {
        var sentences = new List<string>();
        var start = 0;
        foreach (Match gap in Boundary().Matches(text))
        {
            if (EndsWithAbbreviation(text, start, gap.Index)) continue;
            AddTrimmed(sentences, text[start..gap.Index]);
            start = gap.Index + gap.Length;
        }
        AddTrimmed(sentences, text[start..]);
        return sentences;
    }

    static void AddTrimmed(List<string> sentences, string sentence)
    {
        sentence = sentence.Trim();
        if (sentence.Length > 0) sentences.Add(sentence);
    }

    /// <summary>Whether the word ending at <paramref name="end"/> is "Mr." or "J." rather than a sentence's end.</summary>
    static bool EndsWithAbbreviation(string text, int start, int end)
    {
        var wordStart = text.LastIndexOfAny(new[] { ' ', '\t', '\n', '\r' }, end - 1, end - start) + 1;
        var word = text[Math.Max(wordStart, start)..end].TrimStart('"', '\'', '(', '[').TrimEnd('"', '\'', ')', ']');
        if (!word.EndsWith('.')) return false;
        var stem = word[..^1];
        return Abbreviations.Contains(stem) || (stem.Length == 1 && char.IsUpper(stem[0]));
    }

    [GeneratedRegex("""(?<=[.!?]['"’”)\]]*)\s+(?=['"‘“(\[]*[A-Z])""")]
    private static partial Regex Boundary();
}
