namespace Lawcat.Tokenization;

/// <summary>
/// One word being merged. This is Hugging Face's algorithm (models/bpe/word.rs), reproduced because the order of
/// merges decides the result: a queue ordered by (rank, position) pops the best merge, stale entries are skipped,
/// and every merge queues the pairs it forms with its neighbours.
/// </summary>
sealed class BpeWord
{
    readonly int[] ids, prev, next;
    readonly bool[] removed;

    /// <summary>Starts from one symbol per id.</summary>
    public BpeWord(IReadOnlyList<int> symbolIds)
    {
        int n = symbolIds.Count;
        ids = symbolIds.ToArray();
        prev = new int[n];
        next = new int[n];
        removed = new bool[n];
        for (int i = 0; i < n; i++) { prev[i] = i - 1; next[i] = i + 1 < n ? i + 1 : -1; }
    }

    /// <summary>Applies merges until none applies; returns the resulting ids in order.</summary>
    public int[] MergeAll(BpeMerges merges)
    {
        var queue = new PriorityQueue<(int Pos, int MergedId), long>();
        for (int i = 0; i + 1 < ids.Length; i++) Enqueue(queue, merges, i, ids[i], ids[i + 1]);
        while (queue.TryDequeue(out var top, out _))
        {
            int pos = top.Pos, right = next[pos];
            if (removed[pos] || right == -1) continue;
            if (!merges.TryGet(ids[pos], ids[right], out var current) || current.MergedId != top.MergedId) continue;
            Merge(pos, right, top.MergedId);
            if (prev[pos] != -1) Enqueue(queue, merges, prev[pos], ids[prev[pos]], ids[pos]);
            if (next[pos] != -1) Enqueue(queue, merges, pos, ids[pos], ids[next[pos]]);
        }
        return Remaining();
    }

    void Merge(int pos, int right, int mergedId)
    {
        ids[pos] = mergedId;
        removed[right] = true;
        next[pos] = next[right];
        if (next[pos] != -1) prev[next[pos]] = pos;
    }

    static void Enqueue(PriorityQueue<(int, int), long> queue, BpeMerges merges, int pos, int left, int right)
    {
        if (merges.TryGet(left, right, out var m)) queue.Enqueue((pos, m.MergedId), (long)m.Rank << 32 | (uint)pos);
    }

    int[] Remaining()
    {
        var result = new List<int>(ids.Length);
        for (int i = ids.Length > 0 ? 0 : -1; i != -1; i = next[i]) result.Add(ids[i]);
        return result.ToArray();
    }
}
