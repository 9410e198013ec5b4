using System.Collections.Concurrent;
using System.Text;

namespace Lawcat.Tokenization;

/// <summary>
/// A BPE model (tokenizer.json <c>model</c> with type BPE): the vocabulary, the merges and the word-to-ids step,
/// with a per-word cache because natural text repeats its words.
/// </summary>
sealed class BpeModel
{
    // Bounds on the cache, so that a long run over varied text does not grow it without limit; like Hugging Face,
    // rare very long words are not kept.
    const int CacheCapacity = 100_000;
    const int LongestCachedWord = 256;

    readonly Dictionary<string, int> vocab;
    readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabBySpan;
    readonly Dictionary<int, string> tokens;
    readonly BpeMerges merges;
    readonly int? unkId;
    readonly bool fuseUnk, ignoreMerges;
    readonly ConcurrentDictionary<string, int[]> cache = new();
    int cached;

    /// <summary>Builds the model; <paramref name="unkId"/> stands for characters missing from the vocabulary (they are dropped without it).</summary>
    public BpeModel(Dictionary<string, int> vocab, BpeMerges merges, int? unkId, bool fuseUnk, bool ignoreMerges)
    {
        this.vocab = vocab;
        vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        tokens = new Dictionary<int, string>(vocab.Count);
        foreach (var (token, id) in vocab) tokens[id] = token;
        this.merges = merges;
        this.unkId = unkId;
        this.fuseUnk = fuseUnk;
        this.ignoreMerges = ignoreMerges;
    }

    /// <summary>Number of vocabulary entries.</summary>
    public int Count => vocab.Count;

    /// <summary>The highest id in the vocabulary (-1 when it is empty).</summary>
    public int MaxId => tokens.Count == 0 ? -1 : tokens.Keys.Max();

    /// <summary>The id of <paramref name="token"/>, if it is in the vocabulary.</summary>
    public int? TokenToId(string token) => vocab.TryGetValue(token, out var id) ? id : null;

    /// <summary>The token of <paramref name="id"/>, if the vocabulary has it.</summary>
    public string? IdToToken(int id) => tokens.GetValueOrDefault(id);

    /// <summary>Appends the ids of one pre-tokenized word.</summary>
    public void Tokenize(string word, List<int> output)
    {
        if (word.Length == 0) return;
        if (ignoreMerges && vocab.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }
        if (!cache.TryGetValue(word, out var ids))
        {
            ids = new BpeWord(Symbols(word)).MergeAll(merges);
            if (word.Length < LongestCachedWord && cached < CacheCapacity && cache.TryAdd(word, ids)) Interlocked.Increment(ref cached);
        }
        output.AddRange(ids);
    }

    /// <summary>One symbol per character (code point); unknown characters become the unknown token (fused when asked) or vanish.</summary>
    List<int> Symbols(string word)
    {
        var symbols = new List<int>(word.Length);
        bool pendingUnk = false;
        for (int i = 0; i < word.Length;)
        {
            Rune.DecodeFromUtf16(word.AsSpan(i), out _, out int width);
            width = Math.Max(width, 1);
            if (vocabBySpan.TryGetValue(word.AsSpan(i, width), out var id))
            {
                if (pendingUnk) symbols.Add(unkId!.Value);
                pendingUnk = false;
                symbols.Add(id);
            }
            else if (unkId is int unk)
            {
                if (pendingUnk && !fuseUnk) symbols.Add(unk);
                pendingUnk = true;
            }
            i += width;
        }
        if (pendingUnk) symbols.Add(unkId!.Value);
        return symbols;
    }
}
