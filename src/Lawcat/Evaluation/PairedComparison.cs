using Lawcat.Statistics;

namespace Lawcat.Evaluation;

/// <summary>A McNemar test of one model against a reference on the samples both answered.</summary>
/// <param name="Model">The model compared.</param>
/// <param name="Reference">The model it is compared with (e.g. the teacher, or the default variant).</param>
/// <param name="Pairs">Samples both answered (identical prompts and answers).</param>
/// <param name="Test">The test; its b counts samples only the model got right, its c those only the reference got right.</param>
public sealed record PairedTest(string Model, string Reference, int Pairs, McNemarResult Test);

/// <summary>
/// Pairs two models' results on identical samples for McNemar's test. A sample is identified by its task, target
/// length, depth and index (what fixes it for a given seed) and must carry the same answer and prompt length in both,
/// so results drawn with different seeds or tokenizers are never paired. Scores must be right/wrong (0 or 1).
/// </summary>
public static class PairedComparison
{
    /// <summary>What identifies one sample across models, runs and commands.</summary>
    public sealed record SampleKey(string Task, int TargetLength, double? Depth, int Index, string Answer, int ActualLength);

    /// <summary>The key of a result's sample.</summary>
    public static SampleKey Key(EvalResult r) => new(r.Task, r.TargetLength, r.Depth, r.Index, r.Answer, r.ActualLength);

    /// <summary>
    /// <paramref name="model"/>'s results against <paramref name="reference"/>'s on the samples both have; null when
    /// they share none or a score is partial (neither 0 nor 1).
    /// </summary>
    public static PairedTest? Compare(string model, IEnumerable<EvalResult> results, string reference, IEnumerable<EvalResult> referenceResults)
    {
        var byKey = new Dictionary<SampleKey, double>();
        foreach (var r in referenceResults) byKey[Key(r)] = r.Score;
        var mine = new List<bool>();
        var theirs = new List<bool>();
        foreach (var r in results)
        {
            if (!byKey.TryGetValue(Key(r), out var other)) continue;
            if (!IsBinary(r.Score) || !IsBinary(other)) return null;
            mine.Add(r.Score == 1);
            theirs.Add(other == 1);
        }
        return mine.Count == 0 ? null : new PairedTest(model, reference, mine.Count, McNemarTest.Of(mine, theirs));
    }

    static bool IsBinary(double score) => score is 0 or 1;
}
