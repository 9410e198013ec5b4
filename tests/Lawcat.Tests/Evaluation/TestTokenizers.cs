using System.Text;
using System.Text.RegularExpressions;
using Lawcat.Tokenization;

namespace Lawcat.Tests.Evaluation;

/// <summary>One id per UTF-8 byte, and a BOS in front: lengths are byte counts plus one.</summary>
public sealed class ByteTokenizer : ITokenizer
{
    public const int Bos = 256;

    public int VocabSize => 258;
    public int? BosTokenId => Bos;
    public int? EosTokenId => 257;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        var ids = new List<int>(text.Length + 1);
        if (addSpecialTokens) ids.Add(Bos);
        ids.AddRange(Encoding.UTF8.GetBytes(text).Select(b => (int)b));
        return ids;
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false) =>
        Encoding.UTF8.GetString(ids.Where(i => i < 256).Select(i => (byte)i).ToArray());

    public int? TokenToId(string token) => token == "<bos>" ? Bos : null;
}

/// <summary>One id per word with the whitespace before it, no BOS: about five times fewer tokens than bytes.</summary>
public sealed partial class WordTokenizer : ITokenizer
{
    readonly Dictionary<string, int> _ids = new();
    readonly List<string> _words = new();

    public int VocabSize { get { lock (_ids) return _words.Count; } }
    public int? BosTokenId => null;
    public int? EosTokenId => null;

    public IReadOnlyList<int> Encode(string text, bool addSpecialTokens = true)
    {
        lock (_ids) return Word().Matches(text).Select(m => Id(m.Value)).ToList();
    }

    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        lock (_ids) return string.Concat(ids.Select(i => _words[i]));
    }

    public int? TokenToId(string token) { lock (_ids) return _ids.TryGetValue(token, out var id) ? id : null; }

    int Id(string word)
    {
        if (_ids.TryGetValue(word, out var id)) return id;
        _words.Add(word);
        return _ids[word] = _words.Count - 1;
    }

    [GeneratedRegex(@"\s*\S+|\s+")]
    private static partial Regex Word();
}
