using System.Globalization;
using Lawcat.Attention;
using Lawcat.Conversion;
using Lawcat.Evaluation;
using Lawcat.Llama;
using Lawcat.Tokenization;
using Lawcat.Training;
using static TorchSharp.torch;

namespace Lawcat.Distillation;

/// <summary>
/// Reach: the student's passkey accuracy past the distillation length on a fixed held-out set, scored at every
/// evaluation of a stage (<see cref="ReachEvalOptions"/>), because the held-out loss can keep improving while
/// retrieval past the training length falls. The samples come from their own seed stream, so they are never training
/// samples nor those of the final evaluation, and they are the same at every evaluation and in every run.
/// </summary>
public sealed class ReachEvaluation
{
    readonly EvalPlan _plan;
    readonly ITokenizer _tokenizer;

    /// <summary>Reach at <paramref name="options"/>' multiples of <paramref name="sequenceLength"/>, on the samples of its seed.</summary>
    public ReachEvaluation(ReachEvalOptions options, int sequenceLength, ITokenizer tokenizer)
    {
        _tokenizer = tokenizer;
        var lengths = options.LengthMultiples.Select(m => m * sequenceLength).ToArray();
        _plan = new EvalPlan(new PasskeyGenerator(SampleSeed(options.Seed)), lengths, new double?[] { null }, options.Samples, PasskeyGenerator.AnswerTokens);
    }

    /// <summary>The passkey generator seed of reach samples for <c>reach_eval.seed</c> <paramref name="seed"/>.</summary>
    public static int SampleSeed(int seed) => Seeds.Combine(seed, 0x4eac4);

    /// <summary>
    /// Scores <paramref name="model"/> as the student (greedy, no gradients) and puts it back in the modes it was in.
    /// Returns the mean accuracy over the lengths and, per length L, <c>reach.L</c> (accuracy), <c>reach.L.n</c> (samples)
    /// and <c>reach.L.lo</c>/<c>reach.L.hi</c> (Wilson 95% interval).
    /// </summary>
    public (double Reach, Dictionary<string, double> Parts) Score(LlamaModel model)
    {
        bool training = model.training;
        List<EvalResult> results;
        using (LawcatConversion.ModeScope(model, LawcatMode.Student))
        {
            try
            {
                model.eval();
                using var _ = no_grad();
                results = EvalSuite.Run(new[] { ("student", model) }, _tokenizer, new[] { _plan });
            }
            finally { model.train(training); }
        }
        var parts = new Dictionary<string, double>();
        foreach (var g in results.GroupBy(r => r.TargetLength))
        {
            var key = "reach." + g.Key.ToString(CultureInfo.InvariantCulture);
            int n = g.Count();
            double correct = g.Sum(r => r.Score);
            var (lo, hi) = Wilson(correct, n);
            (parts[key], parts[key + ".n"], parts[key + ".lo"], parts[key + ".hi"]) = (correct / n, n, lo, hi);
        }
        return (results.Average(r => r.Score), parts);
    }

    /// <summary>The Wilson score 95% interval of <paramref name="correct"/> successes in <paramref name="n"/> trials.</summary>
    internal static (double Lo, double Hi) Wilson(double correct, int n)
    {
        const double z = 1.959963984540054;
        double p = correct / n, z2n = z * z / n;
        double center = (p + z2n / 2) / (1 + z2n);
        double half = z / (1 + z2n) * Math.Sqrt(p * (1 - p) / n + z2n / (4 * n));
        return (Math.Max(0, center - half), Math.Min(1, center + half));
    }
}
