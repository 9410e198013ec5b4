namespace Lawcat.Evaluation;

/// <summary>Picks each task's scorer and computes accuracy over a run.</summary>
public static class EvalScoring
{
    static readonly IEvalScorer Passkey = new PasskeyScorer();
    static readonly IEvalScorer Ruler = new RulerStringMatchScorer();
    static readonly IEvalScorer Babilong = new BabilongLabelScorer();

    /// <summary>The scorer of <paramref name="task"/> (one of <see cref="EvalTask"/>).</summary>
    public static IEvalScorer For(string task) => task switch
    {
        EvalTask.Passkey => Passkey,
        EvalTask.SNiah1 or EvalTask.SNiah2 or EvalTask.SNiah3 => Ruler,
        EvalTask.BabilongQa2 or EvalTask.BabilongQa3 => Babilong,
        _ => throw new ArgumentException($"no scorer for task '{task}'", nameof(task)),
    };

    /// <summary>The mean score (0..1; the benchmarks report it × 100) of each output on its sample, by the sample's task.</summary>
    public static double Accuracy(IEnumerable<(EvalSample Sample, string Output)> results)
    {
        var scores = results.Select(r => For(r.Sample.Task).Score(r.Sample, r.Output)).ToList();
        return scores.Count > 0 ? scores.Average() : throw new ArgumentException("no results to score", nameof(results));
    }
}
