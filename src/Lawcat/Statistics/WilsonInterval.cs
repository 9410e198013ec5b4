namespace Lawcat.Statistics;

/// <summary>
/// The Wilson score interval of a binomial proportion (Wilson 1927), the one statsmodels'
/// <c>proportion_confint(method="wilson")</c> gives. Unlike the normal approximation it stays inside [0, 1] and keeps
/// its coverage near 0% and 100%, where long-context accuracies often sit.
/// </summary>
public static class WilsonInterval
{
    /// <summary>The two-sided 95% normal quantile, Φ⁻¹(0.975).</summary>
    public const double Z95 = 1.959963984540054;

    /// <summary>
    /// The interval of <paramref name="successes"/> out of <paramref name="trials"/> at quantile <paramref name="z"/>
    /// (95% by default); successes may be fractional (a sum of partial scores). No trials: [0, 1].
    /// </summary>
    public static Interval Of(double successes, int trials, double z = Z95)
    {
        if (trials < 0) throw new ArgumentOutOfRangeException(nameof(trials), trials, "must be ≥ 0");
        if (successes < 0 || successes > trials) throw new ArgumentOutOfRangeException(nameof(successes), successes, $"must be in [0, {trials}]");
        if (trials == 0) return new Interval(0, 1);
        double n = trials, p = successes / n, z2 = z * z;
        double denominator = 1 + z2 / n;
        double center = (p + z2 / (2 * n)) / denominator;
        double half = z / denominator * Math.Sqrt(p * (1 - p) / n + z2 / (4 * n * n));
        return new Interval(Math.Max(0, center - half), Math.Min(1, center + half));
    }
}
