namespace Lawcat.Statistics;

/// <summary>Which McNemar test gave a p-value.</summary>
public enum McNemarMethod
{
    /// <summary>Exact: two-sided binomial test of the discordant pairs against 1/2.</summary>
    ExactBinomial,
    /// <summary>Chi-square with one degree of freedom on (|b − c| − 1)² / (b + c) (Edwards' continuity correction).</summary>
    ChiSquareCorrected,
}

/// <summary>A paired comparison of two models on the same samples.</summary>
/// <param name="OnlyFirst">Discordant pairs the first model got right and the second wrong (b).</param>
/// <param name="OnlySecond">Discordant pairs the second model got right and the first wrong (c).</param>
/// <param name="PValue">Two-sided p-value of "both are equally often right".</param>
/// <param name="Method">How <see cref="PValue"/> was computed.</param>
public sealed record McNemarResult(int OnlyFirst, int OnlySecond, double PValue, McNemarMethod Method)
{
    /// <summary>Short name of the method for tables: <c>exact</c> or <c>chi2cc</c>.</summary>
    public string MethodName => Method == McNemarMethod.ExactBinomial ? "exact" : "chi2cc";
}

/// <summary>
/// McNemar's test for paired right/wrong outcomes (two models, or two variants, on identical samples). Only the
/// discordant pairs carry information. With fewer than <see cref="ExactBelow"/> of them the chi-square approximation
/// is poor, so the exact binomial test is used (as statsmodels' <c>mcnemar(exact=True)</c>); otherwise the continuity-
/// corrected chi-square (statsmodels' <c>mcnemar(exact=False, correction=True)</c>, with the correction stopping at
/// zero so equal counts give p = 1).
/// </summary>
public static class McNemarTest
{
    /// <summary>Discordant pairs below which the exact test is used.</summary>
    public const int ExactBelow = 25;

    /// <summary>The test on <paramref name="onlyFirst"/> (b) and <paramref name="onlySecond"/> (c) discordant pairs.</summary>
    public static McNemarResult Of(int onlyFirst, int onlySecond)
    {
        if (onlyFirst < 0 || onlySecond < 0) throw new ArgumentOutOfRangeException(nameof(onlyFirst), "discordant counts must be ≥ 0");
        int n = onlyFirst + onlySecond;
        if (n < ExactBelow) return new McNemarResult(onlyFirst, onlySecond, ExactP(onlyFirst, onlySecond), McNemarMethod.ExactBinomial);
        double excess = Math.Max(0, Math.Abs(onlyFirst - onlySecond) - 1.0);
        return new McNemarResult(onlyFirst, onlySecond, ChiSquare.UpperTailOneDof(excess * excess / n), McNemarMethod.ChiSquareCorrected);
    }

    /// <summary>The test on paired outcomes: <paramref name="first"/>[i] and <paramref name="second"/>[i] are the two models' verdicts on sample i.</summary>
    public static McNemarResult Of(IReadOnlyList<bool> first, IReadOnlyList<bool> second)
    {
        if (first.Count != second.Count) throw new ArgumentException($"paired outcomes differ in count: {first.Count} and {second.Count}", nameof(second));
        int b = 0, c = 0;
        for (int i = 0; i < first.Count; i++)
        {
            if (first[i] && !second[i]) b++;
            else if (!first[i] && second[i]) c++;
        }
        return Of(b, c);
    }

    /// <summary>min(1, 2 · P(X ≤ min(b, c))) for X ~ Binomial(b + c, 1/2), summed in log space so any count works.</summary>
    public static double ExactP(int onlyFirst, int onlySecond)
    {
        int n = onlyFirst + onlySecond, k = Math.Min(onlyFirst, onlySecond);
        if (n == 0) return 1;
        double logTerm = -n * Math.Log(2), sum = Math.Exp(logTerm);
        for (int i = 1; i <= k; i++)
        {
            logTerm += Math.Log((double)(n - i + 1) / i);
            sum += Math.Exp(logTerm);
        }
        return Math.Min(1, 2 * sum);
    }
}
