namespace Lawcat.Tokenization;

/// <summary>
/// The merge table of a BPE model: for a pair of adjacent token ids, its rank (earlier merges first) and the id
/// of the merged token.
/// </summary>
sealed class BpeMerges
{
    readonly Dictionary<long, (int Rank, int MergedId)> byPair = new();

    /// <summary>Adds a merge; as in Hugging Face, a pair listed twice keeps the later rank.</summary>
    public void Add(int left, int right, int rank, int mergedId) => byPair[Key(left, right)] = (rank, mergedId);

    /// <summary>The merge of <paramref name="left"/> followed by <paramref name="right"/>, if there is one.</summary>
    public bool TryGet(int left, int right, out (int Rank, int MergedId) merge) => byPair.TryGetValue(Key(left, right), out merge);

    static long Key(int left, int right) => (long)left << 32 | (uint)right;
}
