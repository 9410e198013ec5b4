using Lawcat.Tokenization;

namespace Lawcat.Evaluation;

/// <summary>Makes the samples of one task, deterministically from the seed it was built with.</summary>
public interface IEvalGenerator
{
    /// <summary>The task name the samples carry (one of <see cref="EvalTask"/>).</summary>
    string Task { get; }

    /// <summary>
    /// Sample <paramref name="index"/> with a prompt of about <paramref name="targetTokens"/> tokens of
    /// <paramref name="tok"/> (never more, except where the task's fixed text alone is longer), or, where the benchmark
    /// defines its own length unit, of that length in its unit (BABILong: the split, see <see cref="BabilongGenerator"/>). A null
    /// <paramref name="depth"/> lets the task draw the needle's depth as its benchmark does; tasks without a needle
    /// accept only null.
    /// </summary>
    EvalSample Generate(ITokenizer tok, int targetTokens, double? depth, int index);
}
