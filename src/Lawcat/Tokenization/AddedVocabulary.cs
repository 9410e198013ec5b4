using System.Text;

namespace Lawcat.Tokenization;

/// <summary>
/// The added tokens of a tokenizer and how they are cut out of text. Mirrors Hugging Face's AddedVocabulary:
/// tokens with <c>normalized: false</c> are cut from the raw text first, the others from what is left; the
/// single_word, lstrip and rstrip flags are applied to each match as Hugging Face applies them.
/// </summary>
sealed class AddedVocabulary
{
    readonly Dictionary<string, int> idsByContent = new();
    readonly Dictionary<int, AddedToken> tokensById = new();
    readonly HashSet<string> specialContents = new();
    readonly AddedTokenMatcher rawMatcher, normalizedMatcher;

    /// <summary>
    /// Registers <paramref name="declared"/> in order with Hugging Face's id rule: a token already in the model's
    /// vocabulary (or added before) keeps that id, any other gets the next id after the model's vocabulary.
    /// The ids written in tokenizer.json agree with this rule in files Hugging Face wrote; where they do not,
    /// Hugging Face warns and uses the rule, and so does this class.
    /// </summary>
    public AddedVocabulary(IEnumerable<AddedToken> declared, BpeModel model)
    {
        int nextId = model.Count;
        foreach (var token in declared)
        {
            if (token.Content.Length == 0) continue;
            if (idsByContent.TryGetValue(token.Content, out var known) && tokensById[known] == token) continue;
            int id = idsByContent.TryGetValue(token.Content, out known) ? known : model.TokenToId(token.Content) ?? nextId++;
            idsByContent[token.Content] = id;
            tokensById[id] = token;
            if (token.Special) specialContents.Add(token.Content);
        }
        rawMatcher = new AddedTokenMatcher(Matchable(normalized: false));
        normalizedMatcher = new AddedTokenMatcher(Matchable(normalized: true));
    }

    /// <summary>The added tokens' contents.</summary>
    public IEnumerable<string> Contents => idsByContent.Keys;

    /// <summary>The id of an added token.</summary>
    public int? TokenToId(string content) => idsByContent.TryGetValue(content, out var id) ? id : null;

    /// <summary>The content of an added token's id.</summary>
    public string? IdToContent(int id) => tokensById.TryGetValue(id, out var t) ? t.Content : null;

    /// <summary>Whether <paramref name="content"/> is the text of a special added token.</summary>
    public bool IsSpecial(string content) => specialContents.Contains(content);

    /// <summary>Cuts the added tokens out of <paramref name="text"/>; empty stretches are left out.</summary>
    public List<TextSegment> Split(string text)
    {
        var raw = new List<TextSegment>();
        SplitWith(rawMatcher, text, raw);
        var segments = new List<TextSegment>(raw.Count);
        foreach (var segment in raw)
        {
            if (segment.AddedTokenId != null) segments.Add(segment);
            else SplitWith(normalizedMatcher, segment.Text, segments);
        }
        return segments;
    }

    IEnumerable<(string, int)> Matchable(bool normalized) =>
        tokensById.Where(kv => kv.Value.Normalized == normalized).Select(kv => (kv.Value.Content, kv.Key));

    /// <summary>Hugging Face's find_matches: filters and widens the raw matches by their token's flags.</summary>
    void SplitWith(AddedTokenMatcher matcher, string text, List<TextSegment> output)
    {
        int done = 0;
        foreach (var (matchStart, matchEnd, id) in matcher.FindAll(text))
        {
            var token = tokensById[id];
            int start = matchStart, end = matchEnd;
            if (token.SingleWord && (EndsWithWordCharacter(text, start) || StartsWithWordCharacter(text, end))) continue;
            if (token.Lstrip) start = Math.Max(TrailingWhitespaceStart(text, start), done);
            if (token.Rstrip) end = LeadingWhitespaceEnd(text, end);
            if (done < start) Add(output, text[done..start], null);
            Add(output, text[start..end], id);
            done = end;
        }
        if (done < text.Length) Add(output, text[done..], null);
    }

    static void Add(List<TextSegment> output, string text, int? id)
    {
        if (text.Length > 0) output.Add(new TextSegment(text, id));
    }

    static bool EndsWithWordCharacter(string text, int end)
    {
        if (end == 0) return false;
        int start = char.IsLowSurrogate(text[end - 1]) && end >= 2 && char.IsHighSurrogate(text[end - 2]) ? end - 2 : end - 1;
        return UnicodeClasses.IsWordCharacter(UnicodeClasses.At(text, start, out _));
    }

    static bool StartsWithWordCharacter(string text, int start) =>
        start < text.Length && UnicodeClasses.IsWordCharacter(UnicodeClasses.At(text, start, out _));

    static int TrailingWhitespaceStart(string text, int end)
    {
        while (end > 0 && Rune.TryGetRuneAt(text, end - 1, out var r) && UnicodeClasses.IsWhiteSpace(r)) end--;
        return end;
    }

    static int LeadingWhitespaceEnd(string text, int start)
    {
        while (start < text.Length && UnicodeClasses.IsWhiteSpace(UnicodeClasses.At(text, start, out _))) start++;
        return start;
    }
}
