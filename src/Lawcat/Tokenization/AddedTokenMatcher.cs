namespace Lawcat.Tokenization;

/// <summary>
/// Finds added tokens in text the way Hugging Face's Aho-Corasick automaton does with leftmost-longest matching:
/// the earliest start wins, the longest token among those starting there, and the search goes on after it.
/// </summary>
sealed class AddedTokenMatcher
{
    readonly Dictionary<char, (string Content, int Id)[]> byFirstChar;

    /// <summary>Builds a matcher for these (non-empty) token contents.</summary>
    public AddedTokenMatcher(IEnumerable<(string Content, int Id)> tokens)
    {
        byFirstChar = tokens.GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>Whether there is nothing to match.</summary>
    public bool IsEmpty => byFirstChar.Count == 0;

    /// <summary>The non-overlapping matches in <paramref name="text"/>, in order, as [Start, End) with the token's id.</summary>
    public List<(int Start, int End, int Id)> FindAll(string text)
    {
        var found = new List<(int, int, int)>();
        for (int i = 0; i < text.Length;)
        {
            if (LongestAt(text, i) is { } match)
            {
                found.Add((i, i + match.Content.Length, match.Id));
                i += match.Content.Length;
            }
            else i++;
        }
        return found;
    }

    (string Content, int Id)? LongestAt(string text, int at)
    {
        if (!byFirstChar.TryGetValue(text[at], out var candidates)) return null;
        foreach (var candidate in candidates)
        {
            int length = candidate.Content.Length;
            if (at + length <= text.Length && string.CompareOrdinal(text, at, candidate.Content, 0, length) == 0) return candidate;
        }
        return null;
    }
}
