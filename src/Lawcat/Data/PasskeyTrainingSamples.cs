using System.Globalization;
using Lawcat.Evaluation;
using Lawcat.Tokenization;

namespace Lawcat.Data;

/// <summary>
/// Synthetic passkey-retrieval sequences for training: an evaluation prompt (<see cref="PasskeyGenerator"/>, with its
/// own seed stream so training never repeats an evaluation sample) followed by the answer " KEY." and end-of-sequence.
/// Prompt lengths are uniform between the longer of a quarter of the sequence length and the prompt's fixed text plus
/// one filler group, and the sequence length less room for the answer; depths uniform. So every sample holds filler
/// and its answer, never a prompt cut short.
/// </summary>
public sealed class PasskeyTrainingSamples
{
    readonly ITokenizer _tokenizer;
    readonly int _maxTokens, _minPrompt, _maxPrompt;
    readonly PasskeyGenerator _generator;
    readonly int _seed;

    /// <summary>
    /// Samples of at most <paramref name="maxTokens"/> tokens; throws <see cref="ArgumentException"/> when that cannot
    /// hold a prompt with filler and its answer (see <see cref="ShortestSequence"/>).
    /// </summary>
    public PasskeyTrainingSamples(ITokenizer tokenizer, int maxTokens, int seed)
    {
        (_tokenizer, _maxTokens, _seed) = (tokenizer, maxTokens, seed);
        _generator = new PasskeyGenerator(Seeds.Combine(seed, 0x7a11));
        int fixedText = tokenizer.Encode(PasskeyGenerator.Prompt(PasskeyGenerator.MaxPassKey, 0, 0), addSpecialTokens: true).Count;
        int fillerGroup = tokenizer.Encode(PasskeyGenerator.Garbage + " ", addSpecialTokens: false).Count;
        _maxPrompt = maxTokens - AnswerRoom(tokenizer);
        _minPrompt = Math.Max(maxTokens / 4, fixedText + fillerGroup);
        ShortestSequence = fixedText + fillerGroup + AnswerRoom(tokenizer);
        if (_minPrompt > _maxPrompt)
            throw new ArgumentException($"{maxTokens}-token sequences cannot hold a passkey sample with filler (at least {ShortestSequence} tokens)", nameof(maxTokens));
    }

    /// <summary>Tokens of the shortest sample: the prompt's fixed text, one filler group, the longest answer and end-of-sequence.</summary>
    public int ShortestSequence { get; }

    /// <summary>
    /// The samples for training sequences of <paramref name="sequenceLength"/> tokens when <paramref name="ratio"/> asks for
    /// any, or null. When the sequences are too short to hold one, says so through <paramref name="log"/> (naming the
    /// options <paramref name="ratioKey"/> and <paramref name="lengthKey"/>) and returns null: training then reads text only.
    /// </summary>
    public static PasskeyTrainingSamples? IfTheyFit(ITokenizer tokenizer, int sequenceLength, int seed, double ratio, string ratioKey, string lengthKey,
        Action<string>? log)
    {
        if (ratio <= 0) return null;
        try { return new PasskeyTrainingSamples(tokenizer, sequenceLength, seed); }
        catch (ArgumentException e)
        {
            log?.Invoke($"warning: {ratioKey} {ratio.ToString(CultureInfo.InvariantCulture)} ignored: {e.Message.Split(" (Parameter")[0]}; " +
                $"training reads text only (raise {lengthKey} for passkey samples).");
            return null;
        }
    }

    /// <summary>Tokens the answer " 50000." (the longest key) and end-of-sequence take after the prompt.</summary>
    static int AnswerRoom(ITokenizer tokenizer) =>
        tokenizer.Encode(" " + PasskeyGenerator.MaxPassKey.ToString(CultureInfo.InvariantCulture) + ".", addSpecialTokens: false).Count
        + (tokenizer.EosTokenId is null ? 0 : 1);

    /// <summary>The token ids of training sample <paramref name="index"/> (BOS, prompt, answer, EOS).</summary>
    public int[] Sample(long index)
    {
        var rng = new Random(Seeds.Combine(_seed, index, 0x1e6));
        int target = rng.Next(_minPrompt, _maxPrompt + 1);
        var sample = _generator.Generate(_tokenizer, target, null, (int)(index & 0x7fffffff));
        var ids = _tokenizer.Encode(sample.Prompt, addSpecialTokens: true).ToList();
        ids.AddRange(_tokenizer.Encode(" " + sample.Answers[0].ToString(CultureInfo.InvariantCulture) + ".", addSpecialTokens: false));
        if (_tokenizer.EosTokenId is int eos) ids.Add(eos);
        return ids.ToArray();
    }
}
