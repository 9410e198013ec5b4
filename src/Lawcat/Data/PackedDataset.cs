using Lawcat.Tokenization;
using static TorchSharp.torch;

namespace Lawcat.Data;

/// <summary>
/// Documents tokenized (BOS … EOS each) and packed back to back into fixed-length chunks; the last chunk is padded
/// and masked, so every token is in exactly one chunk. A fixed, evenly spread set of chunks is held out for
/// evaluation; each epoch visits every training chunk once in a seeded random order.
/// </summary>
public sealed class PackedDataset
{
    readonly int[] _tokens;
    readonly int[] _lengths;

    /// <summary>Tokens per chunk.</summary>
    public int SequenceLength { get; }
    /// <summary>Id used for padding (masked out).</summary>
    public int PadId { get; }
    /// <summary>Training chunk indices.</summary>
    public IReadOnlyList<int> TrainChunks { get; }
    /// <summary>Held-out chunk indices.</summary>
    public IReadOnlyList<int> EvalChunks { get; }
    /// <summary>Number of chunks.</summary>
    public int ChunkCount => _lengths.Length;
    /// <summary>Number of real (unpadded) tokens.</summary>
    public long TokenCount => _lengths.Sum(l => (long)l);

    PackedDataset(int[] tokens, int[] lengths, int seqLen, int padId, int evalChunks, DataSizeKeys? names)
    {
        (_tokens, _lengths, SequenceLength, PadId) = (tokens, lengths, seqLen, padId);
        int n = lengths.Length;
        if (n < evalChunks + 1)
        {
            var change = names is null ? "Add data or lower the sequence length or the number of held-out chunks."
                : $"Add data ({names.Data}) or lower {names.SequenceLength} / {names.EvalChunks}.";
            throw new LawcatException($"the data gives only {n} chunks of {seqLen} tokens; need at least {evalChunks + 1} ({evalChunks} held out for evaluation). {change}");
        }
        var eval = Enumerable.Range(0, evalChunks).Select(i => (int)((i + 0.5) * n / evalChunks)).ToHashSet();
        EvalChunks = eval.OrderBy(i => i).ToList();
        TrainChunks = Enumerable.Range(0, n).Where(i => !eval.Contains(i)).ToList();
    }

    /// <summary>
    /// Tokenizes <paramref name="documents"/> lazily until <paramref name="maxTokens"/> tokens (0 = all) and packs them
    /// into chunks of <paramref name="sequenceLength"/>. <paramref name="names"/> are the calling command's names for the
    /// text and sizes, which an error about too little data tells the user to change.
    /// </summary>
    public static PackedDataset Build(IEnumerable<string> documents, ITokenizer tokenizer, int sequenceLength, int evalChunks, long maxTokens = 0,
        DataSizeKeys? names = null)
    {
        int bos = tokenizer.BosTokenId ?? -1, eos = tokenizer.EosTokenId ?? -1;
        var stream = new List<int>();
        foreach (var doc in documents)
        {
            if (bos >= 0) stream.Add(bos);
            stream.AddRange(tokenizer.Encode(doc, addSpecialTokens: false));
            if (eos >= 0) stream.Add(eos);
            if (maxTokens > 0 && stream.Count >= maxTokens) break;
        }
        if (maxTokens > 0 && stream.Count > maxTokens) stream.RemoveRange((int)maxTokens, stream.Count - (int)maxTokens);
        int n = (stream.Count + sequenceLength - 1) / sequenceLength;
        int pad = Math.Max(eos, 0);
        var tokens = new int[n * sequenceLength];
        Array.Fill(tokens, pad);
        stream.CopyTo(tokens);
        var lengths = Enumerable.Range(0, n).Select(i => Math.Min(sequenceLength, stream.Count - i * sequenceLength)).ToArray();
        return new PackedDataset(tokens, lengths, sequenceLength, pad, evalChunks, names);
    }

    /// <summary>The tokens of chunk <paramref name="index"/> (padding included) and its real length.</summary>
    public (ReadOnlyMemory<int> Tokens, int Length) Chunk(int index) =>
        (new ReadOnlyMemory<int>(_tokens, index * SequenceLength, SequenceLength), _lengths[index]);

    /// <summary>The training chunks in the order of epoch <paramref name="epoch"/> (a seeded permutation).</summary>
    public int[] EpochOrder(int epoch, int seed)
    {
        var order = TrainChunks.ToArray();
        new Random(Seeds.Combine(seed, epoch, 0x5eed)).Shuffle(order);
        return order;
    }

    /// <summary>Input ids [B, L] and attention mask [B, L] (int64) for rows given as token arrays and real lengths.</summary>
    public static (Tensor Ids, Tensor Mask) ToBatch(IReadOnlyList<(ReadOnlyMemory<int> Tokens, int Length)> rows, int sequenceLength, int padId, Device? device = null)
    {
        var ids = new long[rows.Count * sequenceLength];
        var mask = new long[rows.Count * sequenceLength];
        for (int r = 0; r < rows.Count; r++)
        {
            var span = rows[r].Tokens.Span;
            for (int t = 0; t < sequenceLength; t++)
            {
                bool real = t < rows[r].Length && t < span.Length;
                ids[r * sequenceLength + t] = real ? span[t] : padId;
                mask[r * sequenceLength + t] = real ? 1 : 0;
            }
        }
        return (tensor(ids, new long[] { rows.Count, sequenceLength }, device: device), tensor(mask, new long[] { rows.Count, sequenceLength }, device: device));
    }
}
