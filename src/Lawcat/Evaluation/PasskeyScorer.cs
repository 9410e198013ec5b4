using System.Text.RegularExpressions;

namespace Lawcat.Evaluation;

/// <summary>
/// landmark-attention's passkey rule: the first run of digits in the output, read as an integer, must equal the pass
/// key ("12345." and "The pass key is 12345" are right; "1234 5" is not). It gives LongLoRA's verdict on SentencePiece
/// models and, unlike LongLoRA's token comparison, does not depend on the tokenizer.
/// </summary>
public sealed partial class PasskeyScorer : IEvalScorer
{
    /// <summary>Whether the first integer in <paramref name="output"/> equals <paramref name="passKey"/>.</summary>
    public static bool IsCorrect(string output, string passKey)
    {
        var first = FirstInteger().Match(output);
        return first.Success && SameInteger(first.Value, passKey);
    }

    /// <inheritdoc/>
    public double Score(EvalSample sample, string output) => IsCorrect(output, sample.Answers[0]) ? 1 : 0;

    /// <summary>Equal as integers: leading zeros do not count (Python's <c>int("012") == 12</c>).</summary>
    static bool SameInteger(string a, string b) => Canonical(a) == Canonical(b);

    static string Canonical(string digits) => digits.TrimStart('0') is { Length: > 0 } s ? s : "0";

    [GeneratedRegex("[0-9]+")]
    private static partial Regex FirstInteger();
}
