namespace Lawcat.Evaluation;

/// <summary>
/// BABILong's official metric (<c>babilong/metrics.py</c>, <c>compare_answers</c>): of the output's first sentence
/// (lowercased, cut at '.', "&lt;context&gt;" and "&lt;example&gt;"), find which task labels it mentions, ignore those the
/// question itself names, and count the answer right only if exactly the target remains. The original also cuts at
/// "Question", which never matches after lowercasing, so that step is left out.
/// </summary>
public sealed class BabilongLabelScorer : IEvalScorer
{
    /// <summary>The answer labels of qa2 and qa3 (<c>TASK_LABELS</c>): the six locations.</summary>
    public static IReadOnlyList<string> Labels { get; } = new[] { "bathroom", "bedroom", "garden", "hallway", "kitchen", "office" };

    /// <inheritdoc/>
    public double Score(EvalSample sample, string output) =>
        IsCorrect(sample.Answers[0], output, sample.Metadata["question"]) ? 1 : 0;

    /// <summary>Whether <paramref name="output"/> names <paramref name="target"/> and no other label outside the question.</summary>
    public static bool IsCorrect(string target, string output, string question)
    {
        var answer = FirstSentence(output);
        var inQuestion = Labels.Where(l => question.ToLowerInvariant().Contains(l, StringComparison.Ordinal)).ToHashSet();
        var inOutput = Labels.Where(l => answer.Contains(l, StringComparison.Ordinal) && !inQuestion.Contains(l)).ToList();
        return inOutput.Count == 1 && inOutput[0] == target.ToLowerInvariant();
    }

    static string FirstSentence(string output)
    {
        var text = output.ToLowerInvariant().Split('.')[0];
        text = text.Split("<context>")[0];
        return text.Split("<example>")[0];
    }
}
