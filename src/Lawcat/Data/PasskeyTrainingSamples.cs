using System.Globalization;
using Lawcat.Evaluation;
using Lawcat.Tokenization;
using Lawcat.Training;

namespace Lawcat.Data;

/// <summary>
/// Synthetic passkey-retrieval sequences for training: an evaluation prompt (<see cref="PasskeyGenerator"/>, with its
/// own seed stream so training never repeats an evaluation sample) followed by the answer " KEY." and end-of-sequence.
/// Lengths are uniform between a quarter of the sequence length and the whole of it; depths uniform.
/// </summary>
public sealed class PasskeyTrainingSamples
{
    readonly ITokenizer _tokenizer;
    readonly int _maxTokens;
    readonly PasskeyGenerator _generator;
    readonly int _seed;

    /// <summary>Samples of at most <paramref name="maxTokens"/> tokens.</summary>
    public PasskeyTrainingSamples(ITokenizer tokenizer, int maxTokens, int seed)
    {
        (_tokenizer, _maxTokens, _seed) = (tokenizer, maxTokens, seed);
        _generator = new PasskeyGenerator(Seeds.Combine(seed, 0x7a11));
    }

    /// <summary>The token ids of training sample <paramref name="index"/> (BOS, prompt, answer, EOS).</summary>
    public int[] Sample(long index)
    {
        var rng = new Random(Seeds.Combine(_seed, index, 0x1e6));
        int answerRoom = 12;
        int target = rng.Next(Math.Max(1, _maxTokens / 4), Math.Max(2, _maxTokens - answerRoom));
        var sample = _generator.Generate(_tokenizer, target, null, (int)(index & 0x7fffffff));
        var ids = _tokenizer.Encode(sample.Prompt, addSpecialTokens: true).ToList();
        ids.AddRange(_tokenizer.Encode(" " + sample.Answers[0].ToString(CultureInfo.InvariantCulture) + ".", addSpecialTokens: false));
        if (_tokenizer.EosTokenId is int eos) ids.Add(eos);
        return ids.Take(_maxTokens).ToArray();
    }
}
