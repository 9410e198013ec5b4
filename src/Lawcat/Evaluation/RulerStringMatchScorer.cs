using System.Text.RegularExpressions;

namespace Lawcat.Evaluation;

/// <summary>
/// RULER's <c>string_match_all</c> for one sample: the share of accepted answers found, case-insensitively, anywhere in
/// the output, after RULER's post-processing (strip, control characters to newlines, strip). With one needle: 1 if
/// the 7-digit number or UUID appears in the output, else 0.
/// </summary>
public sealed partial class RulerStringMatchScorer : IEvalScorer
{
    /// <inheritdoc/>
    public double Score(EvalSample sample, string output)
    {
        var prediction = ControlCharacter().Replace(output.Trim(), "\n").Trim().ToLowerInvariant();
        return sample.Answers.Count(a => prediction.Contains(a.ToLowerInvariant(), StringComparison.Ordinal)) / (double)sample.Answers.Count;
    }

    [GeneratedRegex(@"[\x00-\x1f]")]
    private static partial Regex ControlCharacter();
}
