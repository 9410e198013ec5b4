namespace Lawcat.Cli;

/// <summary>
/// One part of a long job, as planned before it starts: a training stage (units are updates) or an evaluation
/// (units are samples). Work is counted in tokens, so that a phase's measured rate can estimate the phases after it.
/// </summary>
/// <param name="Key">What progress reports call it: a training stage's name or its prefix before ':' ("stage 1"), or an evaluation's name.</param>
/// <param name="Unit">The unit's name in the plural ("updates", "samples").</param>
/// <param name="Work">Tokens of each unit, in the order the units run.</param>
sealed record JobPhase(string Key, string Unit, IReadOnlyList<double> Work)
{
    /// <summary>Number of units.</summary>
    public int Units => Work.Count;

    /// <summary>Tokens of the first <paramref name="units"/> units.</summary>
    public double WorkThrough(long units)
    {
        double sum = 0;
        for (int i = 0; i < Math.Min(units, Work.Count); i++) sum += Work[i];
        return sum;
    }

    /// <summary>True when a progress report named <paramref name="name"/> belongs to this phase.</summary>
    public bool Matches(string name) => name == Key || name.StartsWith(Key + ":", StringComparison.Ordinal);

    /// <summary>A training stage of <paramref name="steps"/> updates of <paramref name="tokensPerStep"/> tokens each.</summary>
    public static JobPhase Training(string key, long steps, double tokensPerStep) =>
        new(key, "updates", Enumerable.Repeat(tokensPerStep, (int)Math.Max(steps, 0)).ToArray());

    /// <summary>
    /// An evaluation of prompts of the given lengths. A sample also costs its question and the tokens it generates, so
    /// each counts <see cref="SampleOverheadTokens"/> more than its prompt (and a length-0 sample is not free).
    /// </summary>
    public static JobPhase Evaluation(string key, IEnumerable<int> promptLengths) =>
        new(key, "samples", promptLengths.Select(l => (double)l + SampleOverheadTokens).ToArray());

    /// <summary>Tokens a sample costs besides its prompt (question and answer; generated tokens are the slow ones).</summary>
    public const double SampleOverheadTokens = 128;
}
