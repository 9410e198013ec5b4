using System.Globalization;
using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>
/// Passkey retrieval with the prompt of landmark-attention and LongLoRA (<c>passkey_retrivial.py</c>): a task line,
/// filler, the pass key line, filler again, and the question; scored by <see cref="PasskeyScorer"/>.
/// The length is hit by searching the amount of filler (in characters, as the original slices it) for the largest
/// prompt within the target. Depth is the fraction of the filler characters placed before the pass key line.
/// </summary>
public sealed class PasskeyGenerator : IEvalGenerator
{
    /// <summary>The first line of the prompt.</summary>
    public const string TaskDescription =
        "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will quiz you about the important information there.";

    /// <summary>The filler sentence group; the filler is copies joined by spaces and cut at a character count.</summary>
    public const string Garbage = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

    /// <summary>The last line, which the model continues with the pass key.</summary>
    public const string FinalQuestion = "What is the pass key? The pass key is";

    /// <summary>Smallest and largest pass key (landmark-attention's <c>random.randint(1, 50000)</c>, both inclusive).</summary>
    public const int MinPassKey = 1, MaxPassKey = 50000;

    /// <summary>Tokens generated per sample by every command that evaluates passkey retrieval (a 5-digit key and a margin).</summary>
    public const int AnswerTokens = 10;

    /// <summary>A prompt falls short of its target by at most this many tokens (one more filler character is over it).</summary>
    public const int LengthTolerance = 3;

    /// <summary>LongLoRA's sweep: 1K to 32K tokens in steps of 1K.</summary>
    public static IReadOnlyList<int> StandardLengths { get; } = Enumerable.Range(1, 32).Select(k => k * 1000).ToArray();

    readonly int _seed;

    /// <summary>A generator whose samples are fixed by <paramref name="seed"/> and their index.</summary>
    public PasskeyGenerator(int seed) => _seed = seed;

    /// <inheritdoc/>
    public string Task => EvalTask.Passkey;

    /// <summary>The line that hides the pass key.</summary>
    public static string InformationLine(int passKey) =>
        string.Create(CultureInfo.InvariantCulture, $"The pass key is {passKey}. Remember it. {passKey} is the pass key.");

    /// <summary>The filler: copies of <see cref="Garbage"/> joined by single spaces, cut to <paramref name="chars"/> characters.</summary>
    public static string Filler(int chars) => RepeatedText.Prefix(Garbage + " ", chars);

    /// <summary>The whole prompt for a pass key and the filler before and after it (both cut from the filler's start).</summary>
    public static string Prompt(int passKey, int prefixChars, int suffixChars) =>
        string.Join("\n", TaskDescription, Filler(prefixChars), InformationLine(passKey), Filler(suffixChars), FinalQuestion);

    /// <summary>
    /// Sample <paramref name="index"/>. The pass key and, when <paramref name="depth"/> is null, a uniform random depth
    /// depend only on the seed and the index, so a sample keeps its key and depth across lengths (as LongLoRA seeds by
    /// test index). Pass a depth from <see cref="DepthGrid.Even"/> for a heatmap (an extension: the benchmark has no grid).
    /// </summary>
    public EvalSample Generate(ITokenizer tok, int targetTokens, double? depth, int index)
    {
        var rng = SeededRandom.For(_seed, index, SeededRandom.Stream(Task));
        var passKey = rng.NextInclusive(MinPassKey, MaxPassKey);
        var d = depth ?? rng.NextDouble();
        var fit = LengthSearch.Largest(
            chars => Prompt(passKey, DepthGrid.UnitIndex(d, chars), chars - DepthGrid.UnitIndex(d, chars)),
            prompt => prompt, tok, targetTokens, probe: 2000);
        var prefix = DepthGrid.UnitIndex(d, fit.Amount);
        var answer = passKey.ToString(CultureInfo.InvariantCulture);
        return new EvalSample(Task, _seed, index, fit.Draft, new[] { answer }, targetTokens, fit.Tokens, d,
            new Dictionary<string, string>
            {
                ["needle"] = InformationLine(passKey),
                ["filler_chars"] = fit.Amount.ToString(CultureInfo.InvariantCulture),
                ["filler_chars_before_needle"] = prefix.ToString(CultureInfo.InvariantCulture),
            });
    }
}
